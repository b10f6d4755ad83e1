import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { managerFor, managerOf, type Tx } from '../database/transaction.js';
import { Attachment, attachmentFromRow, type AttachmentRow } from './attachment.entity.js';

/** Files removed per batch of the deletion queue. */
export const PURGE_BATCH = 100;

export interface ClaimedFile {
  storage_key: string;
  attempts: number;
}

const keysOf = (rows: { storage_key: string; thumbnail_key: string | null }[]) =>
  rows.flatMap((row) => [row.storage_key, row.thumbnail_key].filter((key): key is string => key !== null));

/** Attachments and the queue of stored files to delete (storage_deletions). */
@Injectable()
export class AttachmentsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Queues files for deletion, due at `dueAt`. */
  async queueDeletion(keys: string[], dueAt: Date): Promise<void> {
    await this.dataSource.query(`INSERT INTO storage_deletions (storage_key, next_attempt_at) SELECT unnest($1::varchar[]), $2`, [keys, dueAt]);
  }

  /** Inside the caller's transaction: these files are kept after all (a profile picture now in use). */
  async unqueueDeletion(tx: Tx, keys: string[]): Promise<void> {
    await managerOf(tx).query(`DELETE FROM storage_deletions WHERE storage_key = ANY($1)`, [keys]);
  }

  /** Records the upload and takes its files off the deletion queue, in one transaction. */
  create(row: Omit<Attachment, 'id' | 'uploader' | 'message'>, keys: string[]): Promise<Attachment> {
    return this.dataSource.transaction(async (manager) => {
      const saved = await manager.getRepository(Attachment).save(row);
      await manager.query(`DELETE FROM storage_deletions WHERE storage_key = ANY($1)`, [keys]);
      return saved;
    });
  }

  /**
   * The attachment with its message, if `userId` may see it at `now`: a member of the conversation
   * of a message that is neither deleted nor expired, or the uploader of a file not sent, uploaded after `cutoff`.
   */
  findDownloadable(userId: string, attachmentId: string, now: Date, cutoff: Date): Promise<Attachment | null> {
    return this.dataSource
      .getRepository(Attachment)
      .createQueryBuilder('a')
      .leftJoinAndSelect('a.message', 'm')
      .where('a.id = :attachmentId', { attachmentId })
      .andWhere(
        `((a.message_id IS NULL AND a.uploader_id = :userId AND a.created_at > :cutoff)
          OR (m.deleted_at IS NULL AND (m.expires_at IS NULL OR m.expires_at > :now)
              AND EXISTS (SELECT 1 FROM conversation_members cm WHERE cm.conversation_id = m.conversation_id AND cm.user_id = :userId)))`,
        { userId, now, cutoff },
      )
      .getOne();
  }

  /** Gives the message the uploader's unattached uploads after `cutoff`, in the order given, locking them. */
  async attach(tx: Tx, uploaderId: string, messageId: string, attachmentIds: string[], cutoff: Date): Promise<Attachment[]> {
    const [rows]: [AttachmentRow[], number] = await managerOf(tx).query(
      `UPDATE attachments SET message_id = $1, position = array_position($2::uuid[], id) - 1
        WHERE id = ANY($2::uuid[]) AND uploader_id = $3 AND message_id IS NULL AND created_at > $4
        RETURNING *`,
      [messageId, attachmentIds, uploaderId, cutoff],
    );
    return rows.map(attachmentFromRow);
  }

  forMessages(messageIds: string[], tx?: Tx): Promise<Attachment[]> {
    return managerFor(this.dataSource, tx)
      .getRepository(Attachment)
      .createQueryBuilder('a')
      .where('a.message_id = ANY(:messageIds)', { messageIds })
      .orderBy('a.message_id')
      .addOrderBy('a.position')
      .getMany();
  }

  /** Deletes a message's attachments (the trigger queues their files); answers their storage keys. */
  async deleteForMessage(tx: Tx, messageId: string): Promise<string[]> {
    const [rows]: [{ storage_key: string; thumbnail_key: string | null }[], number] = await managerOf(tx).query(
      `DELETE FROM attachments WHERE message_id = $1 RETURNING storage_key, thumbnail_key`,
      [messageId],
    );
    return keysOf(rows);
  }

  async keysOfUploader(tx: Tx, userId: string): Promise<string[]> {
    return keysOf(await managerOf(tx).query(`SELECT storage_key, thumbnail_key FROM attachments WHERE uploader_id = $1`, [userId]));
  }

  async countOfUploader(tx: Tx, userId: string): Promise<{ attachments: number; attachmentBytes: number }> {
    const [row]: { count: string; bytes: string }[] = await managerOf(tx).query(
      `SELECT count(*) AS count, coalesce(sum(size), 0) AS bytes FROM attachments WHERE uploader_id = $1`,
      [userId],
    );
    return { attachments: Number(row.count), attachmentBytes: Number(row.bytes) };
  }

  /** Ids of the uploads of `userId` made until `until`, by id after `after`. */
  async uploadIds(userId: string, until: Date, after: string | null, limit: number): Promise<string[]> {
    const rows: { id: string }[] = await this.dataSource.query(
      `SELECT id FROM attachments WHERE uploader_id = $1 AND created_at <= $3 AND ($2::uuid IS NULL OR id > $2::uuid) ORDER BY id LIMIT $4`,
      [userId, after, until, limit],
    );
    return rows.map((row) => row.id);
  }

  /** Deletes a batch of uploads never attached, made until `cutoff`; answers how many. */
  async deleteUnattached(cutoff: Date): Promise<number> {
    const [, count]: [unknown[], number] = await this.dataSource.query(
      `DELETE FROM attachments WHERE id = ANY(ARRAY(
         SELECT id FROM attachments WHERE message_id IS NULL AND created_at <= $1 LIMIT 10000 FOR UPDATE SKIP LOCKED))`,
      [cutoff],
    );
    return count;
  }

  /**
   * Claims queue entries by moving their next attempt to `leaseEnd`: every one due at `now`, or
   * exactly `keys` whenever they are due.
   */
  async claim(keys: string[] | null, now: Date, leaseEnd: Date): Promise<ClaimedFile[]> {
    const [rows]: [ClaimedFile[], number] = await this.dataSource.query(
      `UPDATE storage_deletions SET next_attempt_at = $2, attempts = attempts + 1
        WHERE storage_key = ANY(ARRAY(
          SELECT storage_key FROM storage_deletions
           WHERE CASE WHEN $3::varchar[] IS NULL THEN next_attempt_at IS NULL OR next_attempt_at <= $1 ELSE storage_key = ANY($3) END
           ORDER BY queued_at LIMIT ${PURGE_BATCH} FOR UPDATE SKIP LOCKED))
        RETURNING storage_key, attempts`,
      [now, leaseEnd, keys],
    );
    return rows;
  }

  async retryLater(key: string, nextAttemptAt: Date, error: string): Promise<void> {
    await this.dataSource.query(`UPDATE storage_deletions SET next_attempt_at = $2, last_error = $3 WHERE storage_key = $1`, [key, nextAttemptAt, error]);
  }

  async forget(keys: string[]): Promise<void> {
    await this.dataSource.query(`DELETE FROM storage_deletions WHERE storage_key = ANY($1)`, [keys]);
  }
}
