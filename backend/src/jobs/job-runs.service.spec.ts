import { jest } from '@jest/globals';
import { BadRequestException, Logger } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { decodeCursor, encodeCursor } from '../common/pagination.js';
import { toJobRunDto } from './dto/job-run.dto.js';
import { JobRun } from './job-run.entity.js';
import { JobRunsRepository } from './job-runs.repository.js';
import { JobRunsService } from './job-runs.service.js';
import { FakeClock } from '../../test/helpers/fake-clock.js';
import { type Mocked, newTestService } from '../../test/helpers/new-test-service.js';
import { rejection } from '../../test/helpers/rejection.js';

const START = new Date('2030-01-01T00:00:00Z');
const DAY_MS = 86_400_000;

function aRun(n: number, overrides: Partial<JobRun> = {}): JobRun {
  return Object.assign(new JobRun(), {
    id: `00000000-0000-4000-8000-00000000000${n}`,
    job: 'message-expiry',
    startedAt: new Date(START.getTime() - n * 60_000),
    finishedAt: new Date(START.getTime() - n * 60_000 + 1000),
    rowsAffected: n,
    error: null,
    ...overrides,
  });
}

describe('JobRunsService', () => {
  let clock: FakeClock;
  let runs: Mocked<JobRunsRepository>;
  let sut: JobRunsService;

  beforeEach(() => {
    // A failed run is logged; keep the test output clean.
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    clock = new FakeClock(START);
    const built = newTestService(JobRunsService, [[Clock, clock]]);
    ({ sut } = built);
    runs = built.mock(JobRunsRepository);
    runs.start.mockResolvedValue('run-1');
    runs.finish.mockResolvedValue(undefined);
    runs.deleteStartedBefore.mockResolvedValue(undefined);
    runs.list.mockResolvedValue([]);
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  describe('record', () => {
    const retentionCutoff = (now: number) => new Date(now - 7 * DAY_MS);

    it('saves the run as started before the work runs', async () => {
      const work = jest.fn(async () => {
        expect(runs.start).toHaveBeenCalledWith('message-expiry', START);
        return 0;
      });

      await sut.record('message-expiry', work);

      expect(work).toHaveBeenCalledTimes(1);
    });

    it('records when it finished and how many rows it affected, and returns the count', async () => {
      const work = async () => {
        clock.advance(2_500);
        return 42;
      };

      await expect(sut.record('message-expiry', work)).resolves.toBe(42);

      expect(runs.finish).toHaveBeenCalledTimes(1);
      expect(runs.finish).toHaveBeenCalledWith('run-1', { finishedAt: new Date(START.getTime() + 2_500), rowsAffected: 42 });
    });

    it('records the error message and when it failed, and rethrows the same error', async () => {
      const failure = new Error('deadlock detected');
      const work = async () => {
        clock.advance(1_000);
        throw failure;
      };

      await expect(sut.record('message-expiry', work)).rejects.toBe(failure);

      expect(runs.finish).toHaveBeenCalledTimes(1);
      expect(runs.finish).toHaveBeenCalledWith('run-1', { finishedAt: new Date(START.getTime() + 1_000), error: 'deadlock detected' });
    });

    it('keeps only the first 1000 characters of a long error message', async () => {
      const failure = new Error('x'.repeat(1000) + 'y'.repeat(500));

      await expect(sut.record('message-expiry', async () => Promise.reject(failure))).rejects.toBe(failure);

      expect(runs.finish.mock.calls[0][1].error).toBe('x'.repeat(1000));
    });

    it('deletes runs older than 7 days after a successful run', async () => {
      const work = async () => {
        clock.advance(1_000);
        return 1;
      };

      await sut.record('message-expiry', work);

      expect(runs.deleteStartedBefore).toHaveBeenCalledTimes(1);
      expect(runs.deleteStartedBefore).toHaveBeenCalledWith(retentionCutoff(START.getTime() + 1_000));
    });

    it('deletes runs older than 7 days after a failed run too', async () => {
      await rejection(sut.record('message-expiry', async () => Promise.reject(new Error('boom'))));

      expect(runs.deleteStartedBefore).toHaveBeenCalledTimes(1);
      expect(runs.deleteStartedBefore).toHaveBeenCalledWith(retentionCutoff(START.getTime()));
    });
  });

  describe('list', () => {
    it('asks for one row more than the page, newest first', async () => {
      await sut.list(2);

      expect(runs.list).toHaveBeenCalledWith(null, 3);
    });

    it('returns no cursor when no more rows than the limit came back', async () => {
      runs.list.mockResolvedValueOnce([aRun(1), aRun(2)]);

      await expect(sut.list(2)).resolves.toEqual({ items: [toJobRunDto(aRun(1)), toJobRunDto(aRun(2))], nextCursor: null });
    });

    it('returns a cursor at the last run of the page when more came back', async () => {
      runs.list.mockResolvedValueOnce([aRun(1), aRun(2), aRun(3)]);

      const page = await sut.list(2);

      expect(page.items.map((item) => item.id)).toEqual([aRun(1).id, aRun(2).id]);
      expect(decodeCursor(page.nextCursor!, { t: 'timestamp', id: 'uuid' })).toEqual({ t: aRun(2).startedAt.toISOString(), id: aRun(2).id });
    });

    it('continues after the cursor it is given', async () => {
      const cursor = { t: aRun(2).startedAt.toISOString(), id: aRun(2).id };

      await sut.list(2, encodeCursor(cursor));

      expect(runs.list).toHaveBeenCalledWith(cursor, 3);
    });

    it('answers INVALID_CURSOR for a garbage cursor without querying', async () => {
      const error = await rejection(sut.list(2, 'garbage'));

      expect(error).toBeInstanceOf(BadRequestException);
      expect(error.getResponse()).toMatchObject({ code: 'INVALID_CURSOR' });
      expect(runs.list).not.toHaveBeenCalled();
    });
  });
});
