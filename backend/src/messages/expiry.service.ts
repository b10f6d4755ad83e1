import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AttachmentsService } from '../attachments/attachments.service.js';
import { Clock } from '../common/clock.js';
import { AppConfig } from '../config/app-config.js';
import { ConversationsService } from '../conversations/conversations.service.js';
import { JobRunsService } from '../jobs/job-runs.service.js';
import { RealtimeService } from '../realtime/realtime.service.js';

export const EXPIRY_JOB = 'message-expiry';
export const ATTACHMENT_CLEANUP_JOB = 'attachment-cleanup';

/**
 * Hard-deletes expired messages in batches. Expired messages are already never served; this frees
 * the rows. SKIP LOCKED lets every instance run it at once without deleting a row twice or waiting.
 */
@Injectable()
export class ExpiryService {
  private readonly logger = new Logger(ExpiryService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly jobRuns: JobRunsService,
    private readonly attachmentsService: AttachmentsService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly conversationsService: ConversationsService,
    private readonly realtime: RealtimeService,
  ) {}

  /**
   * Deletes expired messages (their attachment rows go with them through the foreign key), then the
   * uploads never attached, then removes the stored files of both from storage. Returns the number of
   * messages deleted; each part is recorded as a job run of its own.
   */
  async sweep(): Promise<number> {
    const messages = await this.deleteExpiredMessages();
    await this.jobRuns.record(ATTACHMENT_CLEANUP_JOB, async () => {
      await this.attachmentsService.deleteUnattached();
      return this.attachmentsService.purgeQueuedFiles();
    });
    return messages;
  }

  private deleteExpiredMessages(): Promise<number> {
    return this.jobRuns.record(EXPIRY_JOB, async () => {
      const now = this.clock.now();
      const batchSize = this.config.EXPIRY_SWEEP_BATCH_SIZE;
      let total = 0;
      for (;;) {
        const deleted = await this.deleteBatch(now, batchSize);
        total += deleted;
        if (deleted < batchSize) return total;
      }
    });
  }

  private async deleteBatch(now: Date, batchSize: number): Promise<number> {
    const result = await this.dataSource
      .createQueryBuilder()
      .delete()
      .from('messages')
      .where(
        // ARRAY(…) makes the outer delete a primary-key lookup; `IN (subquery)` plans a scan of the whole table.
        `id = ANY(ARRAY(SELECT id FROM messages WHERE expires_at <= :now ORDER BY expires_at LIMIT :batchSize FOR UPDATE SKIP LOCKED))`,
        { now, batchSize },
      )
      .returning('id, conversation_id')
      .execute();
    // The rows are gone whatever happens to the announcement, so its failure must not fail the sweep.
    await this.announceExpired((result.raw ?? []) as { id: string; conversation_id: string }[]).catch((error: Error) =>
      this.logger.error(`Could not announce expired messages: ${error.message}`),
    );
    return result.affected ?? 0;
  }

  /** `message.expired` to both members of each conversation that lost messages. */
  private async announceExpired(deleted: { id: string; conversation_id: string }[]): Promise<void> {
    if (deleted.length === 0) return;
    const byConversation = new Map<string, string[]>();
    for (const row of deleted) {
      const ids = byConversation.get(row.conversation_id);
      if (ids) ids.push(row.id);
      else byConversation.set(row.conversation_id, [row.id]);
    }
    const members = await this.conversationsService.memberIds([...byConversation.keys()]);
    for (const [conversationId, messageIds] of byConversation) {
      this.realtime.messagesExpired(members.get(conversationId) ?? [], { conversationId, messageIds });
    }
  }
}
