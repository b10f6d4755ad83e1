import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { AttachmentsService } from '../attachments/attachments.service.js';
import { RealtimeService } from '../realtime/realtime.service.js';
import { type AuditActor, AuditService } from './audit.service.js';
import type { ErasureCountsDto, ErasureResultDto } from './dto/erasure.dto.js';

export const ERASURE_ACTION = 'user.erased';

/**
 * Erases a user for real (GDPR Art. 17), for the user themselves and for admins alike. One transaction
 * deletes the account and, through the foreign keys, everything that is theirs: sessions and refresh
 * tokens, friendships, friend requests and blocks in both directions, the messages they sent, their
 * uploads and their read markers. Conversations keep the peer's messages and show the erased side as
 * a deleted user (the peer column becomes null). The stored files are queued by the attachments
 * trigger in the same transaction and removed after the commit (and by the sweep, should that fail);
 * the user's sockets are closed on every instance.
 */
@Injectable()
export class ErasureService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly attachmentsService: AttachmentsService,
    private readonly auditService: AuditService,
    private readonly realtime: RealtimeService,
  ) {}

  async erase(userId: string, actor: AuditActor, { dryRun = false }: { dryRun?: boolean } = {}): Promise<ErasureResultDto> {
    let friendIds: string[] = [];
    let files: string[] = [];
    const counts = await this.dataSource.transaction(async (manager) => {
      await this.lockAndCheck(manager, userId);
      const counts = await this.count(manager, userId);
      if (dryRun) return counts;
      const friends: { friend_id: string }[] = await manager.query(`SELECT friend_id FROM friendships WHERE user_id = $1`, [userId]);
      friendIds = friends.map((row) => row.friend_id);
      files = await this.attachmentsService.keysOfUploader(manager, userId);
      // Conversations whose other side is already gone would be left with nobody in them.
      await manager.query(
        `DELETE FROM conversations WHERE (user_a_id = $1 AND user_b_id IS NULL) OR (user_b_id = $1 AND user_a_id IS NULL)`,
        [userId],
      );
      // An erased admin's id must not survive in the trail of what they did either.
      await manager.query(`UPDATE audit_events SET actor_id = NULL WHERE actor_id = $1`, [userId]);
      await manager.query(`DELETE FROM users WHERE id = $1`, [userId]);
      await this.auditService.record(manager, ERASURE_ACTION, actor, { ...counts });
      return counts;
    });
    if (!dryRun) {
      // Their sockets close on every instance, and their former friends see them go offline.
      this.realtime.endUserSessions(userId);
      this.realtime.presenceChanged(friendIds, { userId, online: false });
      await this.attachmentsService.purgeKeys(files);
    }
    return { dryRun, counts };
  }

  /**
   * Takes every lock the erasure needs up front, always in the same order (the user's conversations by
   * id, then user rows by id), so that it cannot deadlock with a send (which locks its conversation and
   * then, for the foreign key, its sender) nor with another erasure. When the user is an admin, every
   * admin row is locked too, so that two admins erasing each other at once cannot leave no admin.
   */
  private async lockAndCheck(manager: EntityManager, userId: string): Promise<void> {
    await manager.query(`SELECT id FROM conversations WHERE user_a_id = $1 OR user_b_id = $1 ORDER BY id FOR UPDATE`, [userId]);
    const locked: { id: string; role: string }[] = await manager.query(
      `SELECT id, role FROM users
        WHERE id = $1 OR (role = 'admin' AND EXISTS (SELECT 1 FROM users WHERE id = $1 AND role = 'admin'))
        ORDER BY id FOR UPDATE`,
      [userId],
    );
    const user = locked.find((row) => row.id === userId);
    if (!user) throw new NotFoundException({ code: 'USER_NOT_FOUND', message: 'User not found' });
    if (user.role !== 'admin') return;
    if (locked.filter((row) => row.role === 'admin').length <= 1) {
      throw new ConflictException({ code: 'LAST_ADMIN', message: 'The last administrator cannot be erased; make another admin first' });
    }
  }

  private async count(manager: EntityManager, userId: string): Promise<ErasureCountsDto> {
    const [row]: Record<keyof ErasureCountsDto, string | number>[] = await manager.query(
      `SELECT
         (SELECT count(*) FROM messages WHERE sender_id = $1) AS messages,
         (SELECT count(*) FROM attachments WHERE uploader_id = $1) AS attachments,
         (SELECT coalesce(sum(size), 0) FROM attachments WHERE uploader_id = $1) AS "attachmentBytes",
         (SELECT count(*) FROM friendships WHERE user_id = $1) AS friendships,
         (SELECT count(*) FROM friend_requests WHERE from_user_id = $1 OR to_user_id = $1) AS "friendRequests",
         (SELECT count(*) FROM blocks WHERE blocker_id = $1 OR blocked_id = $1) AS blocks,
         (SELECT count(*) FROM sessions WHERE user_id = $1) AS sessions,
         (SELECT count(*) FROM conversation_members WHERE user_id = $1) AS conversations`,
      [userId],
    );
    return Object.fromEntries(Object.entries(row).map(([key, value]) => [key, Number(value)])) as unknown as ErasureCountsDto;
  }
}
