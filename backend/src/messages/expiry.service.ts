import { Injectable, Logger } from '@nestjs/common';
import { AttachmentsService } from '../attachments/attachments.service.js';
import { Clock } from '../common/clock.js';
import { AppConfig } from '../config/app-config.js';
import { ConversationsService } from '../conversations/conversations.service.js';
import { JobRunsService } from '../jobs/job-runs.service.js';
import { RealtimeService } from '../realtime/realtime.service.js';
import { MessagesRepository } from './messages.repository.js';

export const EXPIRY_JOB = 'message-expiry';
export const ATTACHMENT_CLEANUP_JOB = 'attachment-cleanup';

/**
 * Hard-deletes expired messages in batches. Expired messages are already never served; this frees
 * the rows. Every instance runs it; a batch belongs to whichever holds the sweep lock.
 */
@Injectable()
export class ExpiryService {
  private readonly logger = new Logger(ExpiryService.name);

  constructor(
    private readonly messages: MessagesRepository,
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
      // Each batch starts where the last one ended in expires_at order, instead of walking again past
      // the index entries of the rows it already deleted (dead until VACUUM).
      let from = '-infinity';
      for (;;) {
        const batch = await this.deleteBatch(now, from, batchSize);
        total += batch.count;
        if (batch.count < batchSize) return total;
        from = batch.until!;
      }
    });
  }

  private async deleteBatch(now: Date, from: string, batchSize: number): Promise<{ count: number; until: string | null }> {
    const rows = await this.messages.deleteExpiredBatch(now, from, batchSize);
    // The rows are gone whatever happens to the announcement, so its failure must not fail the sweep.
    await this.announceExpired(rows).catch((error: Error) => this.logger.error(`Could not announce expired messages: ${error.message}`));
    return { count: rows.reduce((sum, row) => sum + row.count, 0), until: rows[0]?.until ?? null };
  }

  /** `message.expired` to both members of each conversation that lost messages. */
  private async announceExpired(deleted: { conversation_id: string; ids: string[] }[]): Promise<void> {
    if (deleted.length === 0) return;
    const members = await this.conversationsService.memberIds(deleted.map((row) => row.conversation_id));
    for (const { conversation_id: conversationId, ids: messageIds } of deleted) {
      this.realtime.messagesExpired(members.get(conversationId) ?? [], { conversationId, messageIds });
    }
  }
}
