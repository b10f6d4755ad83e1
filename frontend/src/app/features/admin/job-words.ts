import type { JobRunDto } from '../../../sdk/models/job-run-dto';
import { countOf } from './admin-format';

interface JobInfo {
  title: string;
  description: string;
  /** What `rowsAffected` counts, in words. */
  result: (rows: number) => string;
}

/** The background jobs the server records (backend: `JobRunsService.record(name, …)`). */
export const KNOWN_JOBS: Record<string, JobInfo> = {
  'message-expiry': {
    title: 'Disappearing messages',
    description: 'Deletes messages whose timer has run out, every few seconds.',
    result: (rows) => (rows ? `${countOf(rows, 'expired message')} deleted` : 'Nothing had expired'),
  },
  'attachment-cleanup': {
    title: 'File cleanup',
    description: 'Removes the files of deleted messages and uploads never sent within 24 hours.',
    result: (rows) => (rows ? `${countOf(rows, 'file')} removed from storage` : 'No files to remove'),
  },
  'session-cleanup': {
    title: 'Session cleanup',
    description: 'Removes ended sessions and spent refresh tokens, every hour.',
    result: (rows) => (rows ? `${countOf(rows, 'session or token', 'sessions and tokens')} removed` : 'Nothing to remove'),
  },
};

export function jobTitle(job: string): string {
  return KNOWN_JOBS[job]?.title ?? job;
}

export type RunStatus = 'succeeded' | 'failed' | 'running';

export function runStatus(run: JobRunDto): RunStatus {
  if (run.error !== null) return 'failed';
  return run.finishedAt === null ? 'running' : 'succeeded';
}

/** "3 expired messages deleted", "Failed: …", "Still running". */
export function runResult(run: JobRunDto): string {
  switch (runStatus(run)) {
    case 'failed':
      return `Failed: ${run.error}`;
    case 'running':
      return 'Still running (or stopped with its server)';
    default:
      return KNOWN_JOBS[run.job]?.result(run.rowsAffected) ?? countOf(run.rowsAffected, 'row');
  }
}

/** Milliseconds, or null while running. */
export function runDurationMs(run: JobRunDto): number | null {
  if (run.finishedAt === null) return null;
  return Math.max(0, new Date(run.finishedAt).getTime() - new Date(run.startedAt).getTime());
}
