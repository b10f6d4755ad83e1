import { computed, inject, Injectable, signal } from '@angular/core';
import { Api } from '../../../sdk/api';
import { adminJobs } from '../../../sdk/fn/admin/admin-jobs';
import type { JobRunDto } from '../../../sdk/models/job-run-dto';
import { PagedList } from '../../shared/paged-list';
import { KNOWN_JOBS, runStatus } from './job-words';

const PAGE_SIZE = 100;

export interface JobSummary {
  job: string;
  /** The newest run of this job when it has not finished (yet). */
  running: JobRunDto | null;
  /** The newest finished run among those loaded; null when none of them is of this job. */
  latest: JobRunDto | null;
  /** The newest failed run among those loaded. */
  lastFailure: JobRunDto | null;
}

/** Recent runs of the background jobs, newest first. Provided by the jobs page. */
@Injectable()
export class AdminJobsStore {
  private readonly api = inject(Api);
  private readonly fetchedAt = signal<Date | null>(null);
  private readonly list = new PagedList<JobRunDto>(
    (cursor) => this.api.invoke(adminJobs, { limit: PAGE_SIZE, cursor }),
    (_runs, first) => {
      if (first) this.fetchedAt.set(new Date());
    },
  );

  readonly runs = this.list.items;
  readonly updatedAt = this.fetchedAt.asReadonly();
  readonly loading = this.list.loading;
  readonly refreshing = this.list.refreshing;
  readonly loadingMore = this.list.loadingMore;
  readonly loaded = this.list.loaded;
  readonly busy = this.list.busy;
  /** Why the last request failed; with `failed` there is nothing to show, otherwise the runs loaded before stay. */
  readonly error = this.list.error;
  readonly failed = this.list.failed;
  readonly hasMore = this.list.hasMore;

  /** One entry per job: the known ones always (in a fixed order), then any other the server reported. */
  readonly summaries = computed<JobSummary[]>(() => {
    const runs = this.list.items();
    const jobs = [...Object.keys(KNOWN_JOBS), ...new Set(runs.map((run) => run.job).filter((job) => !(job in KNOWN_JOBS)))];
    return jobs.map((job) => {
      const newest = runs.find((run) => run.job === job) ?? null;
      return {
        job,
        running: newest && runStatus(newest) === 'running' ? newest : null,
        latest: runs.find((run) => run.job === job && runStatus(run) !== 'running') ?? null,
        lastFailure: runs.find((run) => run.job === job && run.error !== null) ?? null,
      };
    });
  });

  /** The newest runs again; with runs on screen they stay there until the answer comes. */
  load(): Promise<void> {
    return this.list.load();
  }

  loadMore(): Promise<void> {
    return this.list.loadMore();
  }
}
