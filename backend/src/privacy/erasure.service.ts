import { Injectable } from '@nestjs/common';
import { AttachmentsService } from '../attachments/attachments.service.js';
import { SessionLifecycleService } from '../auth/session-lifecycle.service.js';
import { ConversationsService } from '../conversations/conversations.service.js';
import { Transactions, type Tx } from '../database/transaction.js';
import { E2eeService } from '../e2ee/e2ee.service.js';
import { FriendsService } from '../friends/friends.service.js';
import { MessagesService } from '../messages/messages.service.js';
import { RealtimeService } from '../realtime/realtime.service.js';
import { userNotFound } from '../users/errors.js';
import { UsersService } from '../users/users.service.js';
import { type AuditActor, AuditService } from './audit.service.js';
import type { ErasureCountsDto, ErasureResultDto } from './dto/erasure.dto.js';
import { lastAdmin } from './errors.js';

export const ERASURE_ACTION = 'user.erased';

/**
 * Erases a user for real (GDPR Art. 17), for the user themselves and for admins alike. One transaction
 * deletes the account and, through the foreign keys, everything that is theirs: sessions and refresh
 * tokens, friendships, friend requests and blocks in both directions, the messages they sent, their
 * uploads and their read markers, their encryption devices, keys and to-device queues (their contacts'
 * devices are told that they left). Conversations keep the peer's messages and show the erased side as
 * a deleted user (the peer column becomes null). The stored files are queued by the attachments
 * trigger in the same transaction and removed after the commit (and by the sweep, should that fail);
 * the user's sockets are closed on every instance. Each module does its own part, inside the one transaction.
 */
@Injectable()
export class ErasureService {
  constructor(
    private readonly transactions: Transactions,
    private readonly usersService: UsersService,
    private readonly conversationsService: ConversationsService,
    private readonly messagesService: MessagesService,
    private readonly attachmentsService: AttachmentsService,
    private readonly friendsService: FriendsService,
    private readonly sessionLifecycle: SessionLifecycleService,
    private readonly e2eeService: E2eeService,
    private readonly auditService: AuditService,
    private readonly realtime: RealtimeService,
  ) {}

  async erase(userId: string, actor: AuditActor, { dryRun = false }: { dryRun?: boolean } = {}): Promise<ErasureResultDto> {
    let friendIds: string[] = [];
    let contacts: string[] = [];
    let files: string[] = [];
    let afterCommit = () => undefined as void;
    const counts = await this.transactions.run(async (tx) => {
      await this.lockAndCheck(tx, userId);
      const counts = await this.count(tx, userId);
      if (dryRun) return counts;
      friendIds = await this.friendsService.friendIds(tx, userId);
      contacts = await this.usersService.profileAudience(userId, tx);
      // The profile picture's files are queued by the users trigger as the row goes; removed right after, as uploads are.
      const { avatarId } = await this.usersService.getById(userId, tx);
      files = [...(await this.attachmentsService.keysOfUploader(tx, userId)), ...(avatarId ? this.attachmentsService.avatarKeys(avatarId) : [])];
      // Before the friendships and the conversation's peer column go: it tells those contacts' devices.
      afterCommit = await this.e2eeService.erase(tx, userId);
      await this.conversationsService.deleteAbandoned(tx, userId);
      await this.auditService.forgetActor(tx, userId);
      await this.usersService.delete(tx, userId);
      await this.auditService.record(tx, ERASURE_ACTION, actor, { ...counts });
      return counts;
    });
    if (!dryRun) {
      // Their sockets close on every instance, and their former friends see them go offline.
      this.realtime.endUserSessions(userId);
      this.realtime.presenceChanged(friendIds, { userId, online: false });
      // Open chats with them turn read-only ("Deleted user") and friends lists drop them.
      this.realtime.userErased(contacts, userId);
      afterCommit();
      await this.attachmentsService.purgeKeys(files);
    }
    return { dryRun, counts };
  }

  /**
   * Takes every lock the erasure needs up front, always in the same order (the user's conversations by
   * id, then user rows by id), so that it cannot deadlock with a send alone (which locks its conversation
   * and then, for the foreign key, its sender) nor with another erasure. A batch of sends
   * (messages/send-batches.ts) holds several conversations and senders, so it can: it gives up a lock
   * wait after 250 ms and its sends go again alone. When the user is an admin, every admin row is locked
   * too, so that two admins erasing each other at once cannot leave no admin.
   */
  private async lockAndCheck(tx: Tx, userId: string): Promise<void> {
    await this.conversationsService.lockForErasure(tx, userId);
    const locked = await this.usersService.lockForErasure(tx, userId);
    const user = locked.find((row) => row.id === userId);
    if (!user) throw userNotFound();
    if (user.role !== 'admin') return;
    if (locked.filter((row) => row.role === 'admin').length <= 1) {
      throw lastAdmin();
    }
  }

  private async count(tx: Tx, userId: string): Promise<ErasureCountsDto> {
    const messages = await this.messagesService.erasureCount(tx, userId);
    const { attachments, attachmentBytes } = await this.attachmentsService.erasureCounts(tx, userId);
    const { friendships, friendRequests, blocks } = await this.friendsService.erasureCounts(tx, userId);
    const sessions = await this.sessionLifecycle.erasureCount(tx, userId);
    const conversations = await this.conversationsService.erasureCount(tx, userId);
    const e2eeDevices = await this.e2eeService.erasureCount(tx, userId);
    return { messages, attachments, attachmentBytes, friendships, friendRequests, blocks, sessions, conversations, e2eeDevices };
  }
}
