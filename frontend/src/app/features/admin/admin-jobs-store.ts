import { computed, inject, Injectable, signal } from '@angular/core';
import { Api } from '../../../sdk/api';
import { adminJobs } from '../../../sdk/fn/admin/admin-jobs';
import type { JobRunDto } from '../../../sdk/models/job-run-dto';
import { describeError } from '../../core/api-errors';
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
  private readonly items = signal<JobRunDto[]>([]);
  private readonly nextCursor = signal<string | null>(null);
  private readonly state = signal<'idle' | 'loading' | 'refreshing' | 'loading-more' | 'loaded' | 'error'>('idle');
  private readonly errorMessage = signal<string | null>(null);
  private readonly fetchedAt = signal<Date | null>(null);
  private generation = 0;

  readonly runs = this.items.asReadonly();
  readonly updatedAt = this.fetchedAt.asReadonly();
  readonly loading = computed(() => this.state() === 'loading');
  readonly refreshing = computed(() => this.state() === 'refreshing');
  readonly loadingMore = computed(() => this.state() === 'loading-more');
  readonly loaded = computed(() => this.state() === 'loaded');
  readonly busy = computed(() => this.state() === 'loading' || this.state() === 'refreshing' || this.state() === 'loading-more');
  /** Why the last request failed; with `failed` there is nothing to show, otherwise the runs loaded before stay. */
  readonly error = this.errorMessage.asReadonly();
  readonly failed = computed(() => this.state() === 'error');
  readonly hasMore = computed(() => this.nextCursor() !== null);

  /** One entry per job: the known ones always (in a fixed order), then any other the server reported. */
  readonly summaries = computed<JobSummary[]>(() => {
    const runs = this.items();
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
  async load(): Promise<void> {
    const generation = ++this.generation;
    this.state.set(this.items().length ? 'refreshing' : 'loading');
    this.errorMessage.set(null);
    try {
      const page = await this.api.invoke(adminJobs, { limit: PAGE_SIZE });
      if (generation !== this.generation) return;
      this.items.set(page.items);
      this.nextCursor.set(page.nextCursor);
      this.fetchedAt.set(new Date());
      this.state.set('loaded');
    } catch (error) {
      if (generation !== this.generation) return;
      this.errorMessage.set(describeError(error));
      this.state.set(this.items().length ? 'loaded' : 'error');
    }
  }

  async loadMore(): Promise<void> {
    const cursor = this.nextCursor();
    if (cursor === null || this.state() !== 'loaded') return;
    const generation = this.generation;
    this.state.set('loading-more');
    this.errorMessage.set(null);
    try {
      const page = await this.api.invoke(adminJobs, { limit: PAGE_SIZE, cursor });
      if (generation !== this.generation) return;
      const known = new Set(this.items().map((run) => run.id));
      this.items.update((items) => [...items, ...page.items.filter((run) => !known.has(run.id))]);
      this.nextCursor.set(page.nextCursor);
    } catch (error) {
      if (generation !== this.generation) return;
      this.errorMessage.set(describeError(error));
    } finally {
      if (generation === this.generation) this.state.set('loaded');
    }
  }
}
