import type { JobRun } from '../job-run.entity.js';

export class JobRunDto {
  id: string;
  /** e.g. `message-expiry`, `session-cleanup`. */
  job: string;
  startedAt: Date;
  /** Null while the run is still going (or if the instance died during it). */
  finishedAt: Date | null;
  rowsAffected: number;
  /** Why the run failed; null when it succeeded. */
  error: string | null;
}

export class JobRunPageDto {
  /** Newest first. */
  items: JobRunDto[];
  nextCursor: string | null;
}

export function toJobRunDto(run: JobRun): JobRunDto {
  return {
    id: run.id,
    job: run.job,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    rowsAffected: run.rowsAffected,
    error: run.error,
  };
}
