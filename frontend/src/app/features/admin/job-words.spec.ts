import { jobRun } from './admin.fixtures';
import { quietSummary, runResult, runRows, runStatus } from './job-words';

describe('job-words', () => {
  describe('runStatus and runResult', () => {
    it('say what a run did, in words', () => {
      expect(runResult(jobRun({ rowsAffected: 3 }))).toBe('3 expired messages deleted');
      expect(runResult(jobRun({ rowsAffected: 1 }))).toBe('1 expired message deleted');
      expect(runResult(jobRun())).toBe('Nothing had expired');
      expect(runResult(jobRun({ job: 'attachment-cleanup', rowsAffected: 2 }))).toBe('2 files removed from storage');
      expect(runResult(jobRun({ job: 'session-cleanup', rowsAffected: 7 }))).toBe('7 sessions and tokens removed');
      expect(runResult(jobRun({ job: 'reindex', rowsAffected: 2 }))).toBe('2 rows');
    });

    it('tell failures and unfinished runs apart from successes', () => {
      const failed = jobRun({ error: 'connection terminated' });
      expect(runStatus(failed)).toBe('failed');
      expect(runResult(failed)).toBe('Failed: connection terminated');
      const running = jobRun({ finishedAt: null });
      expect(runStatus(running)).toBe('running');
      expect(runResult(running)).toContain('Still running');
    });
  });

  describe('runRows', () => {
    it('folds each stretch of runs with nothing to do into one row, and keeps the others on their own', () => {
      const runs = [
        jobRun({ job: 'attachment-cleanup', startedAt: '2026-03-10T12:00:05.000Z' }),
        jobRun({ startedAt: '2026-03-10T12:00:04.000Z' }),
        jobRun({ startedAt: '2026-03-10T12:00:03.000Z', rowsAffected: 2 }),
        jobRun({ job: 'attachment-cleanup', startedAt: '2026-03-10T12:00:02.000Z' }),
        jobRun({ startedAt: '2026-03-10T12:00:01.000Z' }),
        jobRun({ startedAt: '2026-03-10T12:00:00.000Z', error: 'boom' }),
      ];
      const rows = runRows(runs, false);
      expect(rows.map((row) => row.kind)).toEqual(['quiet', 'run', 'quiet', 'run']);
      const first = rows[0] as Extract<(typeof rows)[number], { kind: 'quiet' }>;
      expect(first.runs).toBe(2);
      expect(first.jobs).toEqual([
        { job: 'attachment-cleanup', runs: 1 },
        { job: 'message-expiry', runs: 1 },
      ]);
      expect(first.from).toBe('2026-03-10T12:00:04.000Z');
      expect(first.to).toBe('2026-03-10T12:00:05.000Z');
      expect(quietSummary(first, 'en-GB')).toMatch(/^1 run of File cleanup and 1 of Disappearing messages had nothing to do \(.+ – .+\)$/);

      expect(runRows(runs, true).map((row) => row.kind)).toEqual(['run', 'run', 'run', 'run', 'run', 'run']);
    });
  });
});
