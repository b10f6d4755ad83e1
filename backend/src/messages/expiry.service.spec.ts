import { AppConfig } from '../config/app-config.js';
import { AttachmentsService } from '../attachments/attachments.service.js';
import { Clock } from '../common/clock.js';
import { ConversationsService } from '../conversations/conversations.service.js';
import { JobRunsService } from '../jobs/job-runs.service.js';
import { RealtimeService } from '../realtime/realtime.service.js';
import { ExpiryService } from './expiry.service.js';
import { MessagesRepository } from './messages.repository.js';
import { FakeClock } from '../../test/helpers/fake-clock.js';
import { asRealtime, fakeRealtime, type FakeRealtime } from '../../test/helpers/fake-realtime.js';
import { type Mocked, newTestService } from '../../test/helpers/new-test-service.js';

const START = new Date('2030-01-01T00:00:00Z');

interface BatchRow {
  conversation_id: string;
  ids: string[];
  count: number;
  until: string;
}

/** What one batch statement answers when it deletes `count` rows of one conversation, the last expired at `until`. */
const batchOf = (count: number, until = `2029-12-31 23:59:${String(count % 60).padStart(2, '0')}+00`): BatchRow[] =>
  count === 0 ? [] : [{ conversation_id: 'c1', ids: Array.from({ length: count }, (_, i) => `m${i}`), count, until }];

describe('ExpiryService', () => {
  let clock: FakeClock;
  /** The repository's batch delete: (now, from, batchSize); it answers no rows when another instance holds the sweep lock. */
  let batches: Mocked<MessagesRepository>['deleteExpiredBatch'];
  let jobRuns: Mocked<JobRunsService>;
  let attachments: Mocked<AttachmentsService>;
  let conversationsService: Mocked<ConversationsService>;
  let realtime: FakeRealtime;
  let sut: ExpiryService;

  beforeEach(() => {
    clock = new FakeClock(START);
    realtime = fakeRealtime();
    const config = Object.assign(new AppConfig(), { EXPIRY_SWEEP_BATCH_SIZE: 100 });
    const built = newTestService(ExpiryService, [
      [Clock, clock],
      [AppConfig, config],
      [RealtimeService, asRealtime(realtime)],
    ]);
    ({ sut } = built);
    batches = built.mock(MessagesRepository).deleteExpiredBatch;
    batches.mockResolvedValue([]);
    jobRuns = built.mock(JobRunsService);
    jobRuns.record.mockImplementation(async (_job, work) => work());
    attachments = built.mock(AttachmentsService);
    attachments.deleteUnattached.mockResolvedValue(0);
    attachments.purgeQueuedFiles.mockResolvedValue(0);
    conversationsService = built.mock(ConversationsService);
    conversationsService.memberIds.mockResolvedValue(new Map());
  });

  const deletes = (...counts: number[]) => {
    for (const count of counts) batches.mockResolvedValueOnce(batchOf(count));
  };

  describe('sweep', () => {
    it('keeps deleting batches until one deletes fewer rows than the batch size, and returns the total', async () => {
      deletes(100, 100, 37);

      await expect(sut.sweep()).resolves.toBe(237);

      expect(batches).toHaveBeenCalledTimes(3);
    });

    it('stops after one statement when the first batch is not full', async () => {
      deletes(0);

      await expect(sut.sweep()).resolves.toBe(0);

      expect(batches).toHaveBeenCalledTimes(1);
    });

    it('runs one more (empty) batch after a batch that was exactly full', async () => {
      deletes(100, 0);

      await expect(sut.sweep()).resolves.toBe(100);

      expect(batches).toHaveBeenCalledTimes(2);
    });

    it('adds up the rows of every conversation in a batch', async () => {
      batches.mockResolvedValueOnce([
        { conversation_id: 'c1', ids: ['m1', 'm2'], count: 2, until: 't' },
        { conversation_id: 'c2', ids: ['m3'], count: 1, until: 't' },
      ]);

      await expect(sut.sweep()).resolves.toBe(3);
    });

    it("deletes what expired by the clock's now, in batches of the configured size, each a call of its own", async () => {
      deletes(100, 5);

      await sut.sweep();

      expect(batches).toHaveBeenCalledTimes(2);
      for (const [now, , batchSize] of batches.mock.calls) expect([now, batchSize]).toEqual([START, 100]);
    });

    it('stops, announcing nothing, when the batch is left to another instance that holds the sweep lock', async () => {
      deletes(0);

      await expect(sut.sweep()).resolves.toBe(0);

      expect(batches).toHaveBeenCalledTimes(1);
      expect(conversationsService.memberIds).not.toHaveBeenCalled();
    });

    it('starts each batch where the previous one ended in expiry order', async () => {
      batches.mockResolvedValueOnce(batchOf(100, '2029-12-31 23:00:00.123456+00')).mockResolvedValueOnce(batchOf(3));

      await sut.sweep();

      expect(batches.mock.calls.map(([, from]) => from)).toEqual(['-infinity', '2029-12-31 23:00:00.123456+00']);
    });

    it("uses one 'now' for the whole sweep, even when batches take time", async () => {
      batches.mockImplementation(async () => {
        clock.advance(1_000);
        return batchOf(batches.mock.calls.length < 3 ? 100 : 1);
      });

      await expect(sut.sweep()).resolves.toBe(201);

      expect(batches.mock.calls.map(([now]) => now)).toEqual([START, START, START]);
    });

    it("runs inside a recorded job named 'message-expiry' and returns what the record returns", async () => {
      jobRuns.record.mockResolvedValueOnce(12);

      await expect(sut.sweep()).resolves.toBe(12);

      expect(jobRuns.record).toHaveBeenCalledWith('message-expiry', expect.any(Function));
      expect(batches).not.toHaveBeenCalled();
    });

    it('sends message.expired per conversation of each batch to its members, and nothing for an empty batch', async () => {
      batches.mockResolvedValueOnce([
        { conversation_id: 'c1', ids: ['m1', 'm3'], count: 2, until: 't' },
        { conversation_id: 'c2', ids: ['m2'], count: 1, until: 't' },
      ]);
      conversationsService.memberIds.mockResolvedValueOnce(
        new Map([
          ['c1', ['alice', 'bob']],
          ['c2', ['carol']],
        ]),
      );

      await sut.sweep();

      expect(conversationsService.memberIds).toHaveBeenCalledTimes(1);
      expect(conversationsService.memberIds).toHaveBeenCalledWith(['c1', 'c2']);
      expect(realtime.messagesExpired.mock.calls).toEqual([
        [['alice', 'bob'], { conversationId: 'c1', messageIds: ['m1', 'm3'] }],
        [['carol'], { conversationId: 'c2', messageIds: ['m2'] }],
      ]);
    });

    it('still counts a batch whose announcement failed', async () => {
      deletes(1);
      conversationsService.memberIds.mockRejectedValueOnce(new Error('connection lost'));

      await expect(sut.sweep()).resolves.toBe(1);
      expect(realtime.messagesExpired).not.toHaveBeenCalled();
    });

    it('lets a failing delete reach the job record, and cleans no files then', async () => {
      const failure = new Error('connection lost');
      batches.mockRejectedValueOnce(failure);

      await expect(sut.sweep()).rejects.toBe(failure);

      expect(attachments.purgeQueuedFiles).not.toHaveBeenCalled();
    });

    it("then deletes stale uploads and removes queued files, recorded as 'attachment-cleanup' after the messages", async () => {
      deletes(3);
      attachments.purgeQueuedFiles.mockResolvedValueOnce(4);

      await expect(sut.sweep()).resolves.toBe(3);

      expect(jobRuns.record.mock.calls.map(([job]) => job)).toEqual(['message-expiry', 'attachment-cleanup']);
      expect(attachments.deleteUnattached).toHaveBeenCalledTimes(1);
      await expect(jobRuns.record.mock.results[1].value).resolves.toBe(4);
      expect(attachments.deleteUnattached.mock.invocationCallOrder[0]).toBeLessThan(attachments.purgeQueuedFiles.mock.invocationCallOrder[0]);
    });
  });
});
