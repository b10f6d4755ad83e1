import { ChangeDetectionStrategy, Component, computed, inject, type OnInit, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatProgressSpinnerModule } from '@angular/material/progress-spinner';
import { MatSlideToggleModule } from '@angular/material/slide-toggle';
import type { JobRunDto } from '../../../sdk/models/job-run-dto';
import { Icon, type IconName } from '../../shared/icon';
import { formatAgo, formatDateTime, formatDuration, formatNumber } from './admin-format';
import { AdminJobsStore } from './admin-jobs-store';
import { jobTitle, KNOWN_JOBS, quietSummary, runDurationMs, runResult, runRows, runStatus, type RunStatus } from './job-words';

const STATUS_WORDS: Record<RunStatus, string> = { succeeded: 'Succeeded', failed: 'Failed', running: 'Running' };
const STATUS_ICONS: Record<RunStatus, IconName> = { succeeded: 'check-circle', failed: 'error', running: 'hourglass' };

/** What the background jobs did lately: one card per job, then every run. */
@Component({
  selector: 'app-admin-jobs-page',
  imports: [MatButtonModule, MatProgressSpinnerModule, MatSlideToggleModule, Icon],
  providers: [AdminJobsStore],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <div class="head">
      <p class="updated" role="status">
        @if (store.refreshing() || store.loading()) {
          Loading job runs…
        } @else if (store.updatedAt(); as at) {
          Updated {{ time(at) }}
        }
      </p>
      <button mat-stroked-button type="button" [disabled]="store.busy()" (click)="store.load()">
        <app-icon name="refresh" />
        Refresh
      </button>
    </div>

    @if (store.failed()) {
      <div class="state error" role="alert">
        <app-icon name="error" />
        <p>Could not load the job runs. {{ store.error() }}</p>
        <button mat-stroked-button type="button" (click)="store.load()">Try again</button>
      </div>
    } @else if (store.loading()) {
      <div class="state">
        <mat-spinner diameter="36" />
        <p>Loading job runs…</p>
      </div>
    } @else {
      @if (store.error(); as error) {
        <p class="inline-error" role="alert">Could not update the job runs. {{ error }}</p>
      }
      <section aria-labelledby="jobs-latest">
        <h2 id="jobs-latest" class="section-title">Latest runs</h2>
        <ul class="cards">
          @for (summary of store.summaries(); track summary.job) {
            <li class="card" [attr.data-job]="summary.job" data-testid="job-card">
              <h3>{{ title(summary.job) }}</h3>
              @if (description(summary.job); as text) {
                <p class="description">{{ text }}</p>
              }
              @if (summary.running; as run) {
                <p class="status running">
                  <app-icon name="hourglass" />
                  <span>Running now, started <time [attr.datetime]="run.startedAt" [attr.title]="dateTime(run.startedAt)">{{ ago(run.startedAt) }}</time></span>
                </p>
              }
              @if (summary.latest; as run) {
                <p class="status" [class]="status(run)">
                  <app-icon [name]="icon(run)" />
                  <span>{{ statusWord(run) }} <time [attr.datetime]="run.startedAt" [attr.title]="dateTime(run.startedAt)">{{ ago(run.startedAt) }}</time></span>
                </p>
                <p class="result">{{ result(run) }}</p>
                @if (duration(run); as took) {
                  <p class="meta">Took {{ took }}</p>
                }
                @if (summary.lastFailure; as failure) {
                  @if (failure.id !== run.id) {
                    <p class="meta failure">Last failure {{ ago(failure.startedAt) }}: {{ failure.error }}</p>
                  }
                }
              } @else if (!summary.running) {
                <p class="meta">Not among the {{ number(store.runs().length) }} most recent runs{{ store.hasMore() ? '; load older runs to look further back' : '' }}.</p>
              }
            </li>
          }
        </ul>
      </section>

      <section aria-labelledby="jobs-runs">
        <div class="runs-head">
          <h2 id="jobs-runs" class="section-title">All runs</h2>
          <mat-slide-toggle [checked]="unfold()" (change)="unfold.set($event.checked)">Show every run</mat-slide-toggle>
        </div>
        @if (store.runs().length === 0) {
          <p class="empty">No job has run yet. The disappearing-messages sweep runs every few seconds once the server is up.</p>
        } @else {
          <table class="runs" role="table" aria-label="Job runs">
            <thead role="rowgroup">
              <tr role="row">
                <th role="columnheader" scope="col">Job</th>
                <th role="columnheader" scope="col">Started</th>
                <th role="columnheader" scope="col">Duration</th>
                <th role="columnheader" scope="col">Result</th>
              </tr>
            </thead>
            <tbody role="rowgroup">
              @for (row of rows(); track row.id) {
                @if (row.kind === 'run') {
                  <tr role="row" data-testid="job-run" [class.failed]="row.run.error !== null">
                    <td role="cell" class="job">{{ title(row.run.job) }}</td>
                    <td role="cell" data-label="Started"><time [attr.datetime]="row.run.startedAt">{{ dateTime(row.run.startedAt) }}</time></td>
                    <td role="cell" data-label="Duration">{{ duration(row.run) ?? '—' }}</td>
                    <td role="cell" data-label="Result" class="run-result">
                      <span class="status" [class]="status(row.run)"><app-icon [name]="icon(row.run)" /><span class="sr-only">{{ statusWord(row.run) }}:</span></span>
                      {{ result(row.run) }}
                    </td>
                  </tr>
                } @else {
                  <tr role="row" class="quiet" data-testid="job-run-group">
                    <td role="cell" colspan="4">
                      <span class="status succeeded"><app-icon name="check-circle" /></span>
                      {{ quietSummary(row) }}
                    </td>
                  </tr>
                }
              }
            </tbody>
          </table>
        }
        @if (store.hasMore()) {
          <div class="more">
            <button mat-button type="button" [disabled]="store.busy()" (click)="store.loadMore()">
              {{ store.loadingMore() ? 'Loading…' : 'Load older runs' }}
            </button>
          </div>
        }
        <p class="meta">Runs are kept for 7 days.</p>
      </section>
    }
  `,
  styles: `
    :host { display: block; padding: 0 16px 24px; }
    .head { display: flex; align-items: center; justify-content: space-between; gap: 8px; padding: 8px 0; }
    .head button app-icon { vertical-align: -4px; margin-right: 4px; }
    .head button { --icon-size: 18px; }
    .updated { margin: 0; font: var(--mat-sys-body-small); color: var(--mat-sys-on-surface-variant); }
    .section-title { margin: 16px 0 8px; font: var(--mat-sys-title-medium); }
    .cards { list-style: none; margin: 0; padding: 0; display: grid; gap: 12px; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); }
    .card { padding: 12px 16px; border-radius: 12px; border: 1px solid var(--mat-sys-outline-variant);
      background: var(--mat-sys-surface-container-low); }
    .card h3 { margin: 0 0 4px; font: var(--mat-sys-title-small); }
    .card p { margin: 4px 0 0; }
    .description, .meta { font: var(--mat-sys-body-small); color: var(--mat-sys-on-surface-variant); }
    .failure { color: var(--mat-sys-error); overflow-wrap: anywhere; }
    .status { display: inline-flex; align-items: center; gap: 6px; --icon-size: 18px; font: var(--mat-sys-label-large); }
    .status.succeeded { color: var(--mat-sys-primary); }
    .status.failed { color: var(--mat-sys-error); }
    .status.running { color: var(--mat-sys-tertiary); }
    .result { font: var(--mat-sys-body-medium); }
    .runs-head { display: flex; align-items: center; justify-content: space-between; gap: 8px 16px; flex-wrap: wrap; }
    .runs { width: 100%; border-collapse: collapse; font: var(--mat-sys-body-medium); margin-top: 8px; }
    th { text-align: left; padding: 8px; font: var(--mat-sys-label-medium); color: var(--mat-sys-on-surface-variant);
      border-bottom: 1px solid var(--mat-sys-outline-variant); }
    td { padding: 6px 8px; border-bottom: 1px solid var(--mat-sys-outline-variant); vertical-align: top; }
    td time { white-space: nowrap; }
    .run-result { overflow-wrap: anywhere; }
    .run-result .status { vertical-align: middle; margin-right: 4px; }
    tr.failed .run-result { color: var(--mat-sys-error); }
    .sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
    tr.quiet td { color: var(--mat-sys-on-surface-variant); font: var(--mat-sys-body-small); }
    tr.quiet .status { vertical-align: middle; margin-right: 4px; }
    .empty { padding: 24px 0; text-align: center; color: var(--mat-sys-on-surface-variant); }
    .inline-error { margin: 8px 0; color: var(--mat-sys-error); }
    .state { display: flex; flex-direction: column; align-items: center; gap: 8px; padding: 48px 24px;
      text-align: center; color: var(--mat-sys-on-surface-variant); --icon-size: 48px; }
    .state p { margin: 0; max-width: 32em; }
    .state.error { color: var(--mat-sys-error); }
    .more { display: flex; justify-content: center; padding: 8px; }
    @media (max-width: 640px) {
      thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
      .runs, tbody { display: block; }
      tr { display: grid; grid-template-columns: minmax(0, 1fr) auto; gap: 2px 12px; padding: 8px 0;
        border-bottom: 1px solid var(--mat-sys-outline-variant); }
      td { display: block; padding: 0; border: 0; }
      td[data-label]::before { content: attr(data-label) ': '; color: var(--mat-sys-on-surface-variant); font: var(--mat-sys-label-small); }
      .job { font: var(--mat-sys-title-small); }
      .run-result, tr.quiet td { grid-column: 1 / -1; }
    }
  `,
})
export class AdminJobsPage implements OnInit {
  protected readonly store = inject(AdminJobsStore);
  /** Runs with nothing to do are folded into one row per stretch, unless asked for one by one. */
  protected readonly unfold = signal(false);
  protected readonly rows = computed(() => runRows(this.store.runs(), this.unfold()));

  protected readonly title = jobTitle;
  protected readonly description = (job: string) => KNOWN_JOBS[job]?.description ?? null;
  protected readonly status = runStatus;
  protected readonly statusWord = (run: JobRunDto) => STATUS_WORDS[runStatus(run)];
  protected readonly icon = (run: JobRunDto) => STATUS_ICONS[runStatus(run)];
  protected readonly result = runResult;
  protected readonly duration = (run: JobRunDto) => {
    const ms = runDurationMs(run);
    return ms === null ? null : formatDuration(ms);
  };
  protected readonly ago = (iso: string) => formatAgo(iso);
  protected readonly dateTime = (iso: string) => formatDateTime(iso);
  protected readonly time = (date: Date) => date.toLocaleTimeString();
  protected readonly number = (value: number) => formatNumber(value);
  protected readonly quietSummary = quietSummary;

  ngOnInit(): void {
    void this.store.load();
  }
}
