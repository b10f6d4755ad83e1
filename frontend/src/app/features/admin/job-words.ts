import type { JobRunDto } from '../../../sdk/models/job-run-dto';
import { countOf, formatDateTime, formatNumber } from './admin-format';

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

/** A run that succeeded and found nothing to do: the sweeps make many of these. */
export function isQuiet(run: JobRunDto): boolean {
  return runStatus(run) === 'succeeded' && run.rowsAffected === 0;
}

export type RunRow =
  | { kind: 'run'; id: string; run: JobRunDto }
  | { kind: 'quiet'; id: string; runs: number; from: string; to: string; jobs: { job: string; runs: number }[] };

/**
 * The runs as the list shows them, newest first: each run that did something or failed on its own,
 * and each stretch of consecutive runs that had nothing to do folded into one row (unless `unfold`).
 */
export function runRows(runs: readonly JobRunDto[], unfold: boolean): RunRow[] {
  const rows: RunRow[] = [];
  for (const run of runs) {
    const last = rows.at(-1);
    if (unfold || !isQuiet(run)) {
      rows.push({ kind: 'run', id: run.id, run });
    } else if (last?.kind === 'quiet') {
      last.runs++;
      last.from = run.startedAt;
      const job = last.jobs.find((entry) => entry.job === run.job);
      if (job) job.runs++;
      else last.jobs.push({ job: run.job, runs: 1 });
    } else {
      rows.push({ kind: 'quiet', id: `quiet-${run.id}`, runs: 1, from: run.startedAt, to: run.startedAt, jobs: [{ job: run.job, runs: 1 }] });
    }
  }
  return rows;
}

/** "34 runs of Disappearing messages and 34 of File cleanup had nothing to do (21 Nov 2026, 09:56:50 – 09:57:23)". */
export function quietSummary(row: Extract<RunRow, { kind: 'quiet' }>, locale?: string): string {
  const jobs = row.jobs.map(({ job, runs }, index) =>
    index === 0 ? `${countOf(runs, 'run', 'runs', locale)} of ${jobTitle(job)}` : `${formatNumber(runs, locale)} of ${jobTitle(job)}`,
  );
  const what = jobs.length > 1 ? `${jobs.slice(0, -1).join(', ')} and ${jobs.at(-1)}` : jobs[0];
  const from = new Date(row.from);
  const to = new Date(row.to);
  const sameDay = from.toDateString() === to.toDateString();
  const span =
    row.from === row.to
      ? formatDateTime(row.to, locale)
      : `${formatDateTime(row.from, locale)} – ${sameDay ? to.toLocaleTimeString(locale) : formatDateTime(row.to, locale)}`;
  return `${what} had nothing to do (${span})`;
}
