import { jest } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import type { AttachmentsService } from '../attachments/attachments.service.js';
import type { ConversationsService } from '../conversations/conversations.service.js';
import type { JobRunsService } from '../jobs/job-runs.service.js';
import { ExpiryService } from './expiry.service.js';
import { FakeClock } from '../../test/helpers/fake-clock.js';
import { asRealtime, fakeRealtime, type FakeRealtime } from '../../test/helpers/fake-realtime.js';

const START = new Date('2030-01-01T00:00:00Z');

function fakeQueryBuilder() {
  return {
    delete: jest.fn().mockReturnThis(),
    from: jest.fn().mockReturnThis(),
    where: jest.fn().mockReturnThis(),
    returning: jest.fn().mockReturnThis(),
    execute: jest.fn<() => Promise<{ raw: unknown[]; affected?: number | null }>>(async () => ({ raw: [], affected: 0 })),
  };
}

describe('ExpiryService', () => {
  let clock: FakeClock;
  let builder: ReturnType<typeof fakeQueryBuilder>;
  let dataSource: { createQueryBuilder: jest.Mock<() => ReturnType<typeof fakeQueryBuilder>> };
  let jobRuns: { record: jest.Mock<JobRunsService['record']> };
  let attachments: { deleteUnattached: jest.Mock<() => Promise<number>>; purgeQueuedFiles: jest.Mock<() => Promise<number>> };
  let conversationsService: { memberIds: jest.Mock<ConversationsService['memberIds']> };
  let realtime: FakeRealtime;
  let sut: ExpiryService;

  beforeEach(() => {
    clock = new FakeClock(START);
    builder = fakeQueryBuilder();
    dataSource = { createQueryBuilder: jest.fn(() => builder) };
    jobRuns = { record: jest.fn(async (_job, work) => work()) };
    const config = Object.assign(new AppConfig(), { EXPIRY_SWEEP_BATCH_SIZE: 100 });
    attachments = { deleteUnattached: jest.fn(async () => 0), purgeQueuedFiles: jest.fn(async () => 0) };
    conversationsService = { memberIds: jest.fn(async () => new Map()) };
    realtime = fakeRealtime();
    sut = new ExpiryService(
      dataSource as unknown as DataSource,
      jobRuns as unknown as JobRunsService,
      attachments as unknown as AttachmentsService,
      clock,
      config,
      conversationsService as unknown as ConversationsService,
      asRealtime(realtime),
    );
  });

  const deletes = (...affected: (number | undefined)[]) => {
    for (const count of affected) builder.execute.mockResolvedValueOnce({ raw: [], affected: count });
  };

  describe('sweep', () => {
    it('keeps deleting batches until one deletes fewer rows than the batch size, and returns the total', async () => {
      deletes(100, 100, 37);

      await expect(sut.sweep()).resolves.toBe(237);

      expect(builder.execute).toHaveBeenCalledTimes(3);
    });

    it('stops after one statement when the first batch is not full', async () => {
      deletes(0);

      await expect(sut.sweep()).resolves.toBe(0);

      expect(builder.execute).toHaveBeenCalledTimes(1);
    });

    it('runs one more (empty) batch after a batch that was exactly full', async () => {
      deletes(100, 0);

      await expect(sut.sweep()).resolves.toBe(100);

      expect(builder.execute).toHaveBeenCalledTimes(2);
    });

    it('counts a result without an affected count as an empty batch', async () => {
      deletes(undefined);

      await expect(sut.sweep()).resolves.toBe(0);

      expect(builder.execute).toHaveBeenCalledTimes(1);
    });

    it("deletes from messages up to the clock's now, in batches of the configured size, skipping locked rows", async () => {
      deletes(100, 5);

      await sut.sweep();

      expect(builder.from).toHaveBeenCalledWith('messages');
      expect(builder.where).toHaveBeenCalledTimes(2);
      for (const [sql, params] of builder.where.mock.calls) {
        expect(sql).toEqual(expect.stringContaining('FOR UPDATE SKIP LOCKED'));
        expect(sql).toEqual(expect.stringContaining('LIMIT :batchSize'));
        expect(params).toEqual({ now: START, batchSize: 100 });
      }
    });

    it("uses one 'now' for the whole sweep, even when batches take time", async () => {
      builder.execute.mockImplementation(async () => {
        clock.advance(1_000);
        return { raw: [], affected: builder.execute.mock.calls.length < 3 ? 100 : 1 };
      });

      await expect(sut.sweep()).resolves.toBe(201);

      expect(builder.where.mock.calls.map(([, params]) => params)).toEqual([
        { now: START, batchSize: 100 },
        { now: START, batchSize: 100 },
        { now: START, batchSize: 100 },
      ]);
    });

    it("runs inside a recorded job named 'message-expiry' and returns what the record returns", async () => {
      jobRuns.record.mockResolvedValueOnce(12);

      await expect(sut.sweep()).resolves.toBe(12);

      expect(jobRuns.record).toHaveBeenCalledWith('message-expiry', expect.any(Function));
      expect(builder.execute).not.toHaveBeenCalled();
    });

    it('sends message.expired per conversation of each batch to its members, and nothing for an empty batch', async () => {
      builder.execute
        .mockResolvedValueOnce({
          raw: [
            { id: 'm1', conversation_id: 'c1' },
            { id: 'm2', conversation_id: 'c2' },
            { id: 'm3', conversation_id: 'c1' },
          ],
          affected: 3,
        })
        .mockResolvedValueOnce({ raw: [], affected: 0 });
      conversationsService.memberIds.mockResolvedValueOnce(
        new Map([
          ['c1', ['alice', 'bob']],
          ['c2', ['carol']],
        ]),
      );

      await sut.sweep();

      expect(builder.returning).toHaveBeenCalledWith('id, conversation_id');
      expect(conversationsService.memberIds).toHaveBeenCalledTimes(1);
      expect(conversationsService.memberIds).toHaveBeenCalledWith(['c1', 'c2']);
      expect(realtime.messagesExpired.mock.calls).toEqual([
        [['alice', 'bob'], { conversationId: 'c1', messageIds: ['m1', 'm3'] }],
        [['carol'], { conversationId: 'c2', messageIds: ['m2'] }],
      ]);
    });

    it('still counts a batch whose announcement failed', async () => {
      builder.execute.mockResolvedValueOnce({ raw: [{ id: 'm1', conversation_id: 'c1' }], affected: 1 });
      conversationsService.memberIds.mockRejectedValueOnce(new Error('connection lost'));

      await expect(sut.sweep()).resolves.toBe(1);
      expect(realtime.messagesExpired).not.toHaveBeenCalled();
    });

    it('lets a failing delete reach the job record, and cleans no files then', async () => {
      const failure = new Error('connection lost');
      builder.execute.mockRejectedValueOnce(failure);

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
