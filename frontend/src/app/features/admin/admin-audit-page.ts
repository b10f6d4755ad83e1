import { ChangeDetectionStrategy, Component, inject, type OnInit } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatProgressSpinnerModule } from '@angular/material/progress-spinner';
import type { AuditEventDto } from '../../../sdk/models/audit-event-dto';
import { AuthStore } from '../../core/auth-store';
import { Icon } from '../../shared/icon';
import { formatAgo, formatDateTime } from './admin-format';
import { AdminAuditStore } from './admin-audit-store';
import { auditAction, auditActor, auditDetails } from './audit-words';

/** What was done to accounts (erasures), newest first, without the personal data of those erased. */
@Component({
  selector: 'app-admin-audit-page',
  imports: [MatButtonModule, MatProgressSpinnerModule, Icon],
  providers: [AdminAuditStore],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <div class="head">
      <p class="note">Erasures are recorded with their counts only: never who was erased.</p>
      <button mat-stroked-button type="button" [disabled]="store.busy()" (click)="store.load()">
        <app-icon name="refresh" />
        Refresh
      </button>
    </div>

    @if (store.failed()) {
      <div class="state error" role="alert">
        <app-icon name="error" />
        <p>Could not load the audit trail. {{ store.error() }}</p>
        <button mat-stroked-button type="button" (click)="store.load()">Try again</button>
      </div>
    } @else if (store.loading()) {
      <div class="state">
        <mat-spinner diameter="36" />
        <p>Loading the audit trail…</p>
      </div>
    } @else if (store.loaded() && store.events().length === 0) {
      <div class="state empty">
        <app-icon name="history" />
        <p class="headline">Nothing recorded yet</p>
        <p>When an account is erased, by its owner or by an admin, it shows up here.</p>
      </div>
    } @else {
      @if (store.error(); as error) {
        <p class="inline-error" role="alert">Could not update the audit trail. {{ error }}</p>
      }
      <ol class="events" aria-label="Audit trail" [attr.aria-busy]="store.busy()">
        @for (event of store.events(); track event.id) {
          <li class="event" data-testid="audit-event">
            <div class="line">
              <span class="action">{{ action(event) }}</span>
              <time [attr.datetime]="event.createdAt" [attr.title]="dateTime(event.createdAt)">{{ ago(event.createdAt) }}</time>
            </div>
            <p class="actor">By: {{ actor(event) }}</p>
            @if (details(event); as text) {
              <p class="details">{{ text }}</p>
            }
            <p class="when">{{ dateTime(event.createdAt) }}</p>
          </li>
        }
      </ol>
      @if (store.hasMore()) {
        <div class="more">
          <button mat-button type="button" [disabled]="store.busy()" (click)="store.loadMore()">
            {{ store.loadingMore() ? 'Loading…' : 'Load older events' }}
          </button>
        </div>
      }
    }
  `,
  styles: `
    :host { display: block; padding: 0 16px 24px; }
    .head { display: flex; align-items: center; justify-content: space-between; gap: 8px; padding: 8px 0; }
    .head button app-icon { vertical-align: -4px; margin-right: 4px; }
    .head button { --icon-size: 18px; flex: none; }
    .note { margin: 0; font: var(--mat-sys-body-small); color: var(--mat-sys-on-surface-variant); }
    .events { list-style: none; margin: 0; padding: 0; }
    .event { padding: 12px 0; border-bottom: 1px solid var(--mat-sys-outline-variant); }
    .line { display: flex; align-items: baseline; justify-content: space-between; gap: 8px; }
    .action { font: var(--mat-sys-title-small); }
    .line time { flex: none; font: var(--mat-sys-body-small); color: var(--mat-sys-on-surface-variant); }
    .event p { margin: 2px 0 0; }
    .actor { font: var(--mat-sys-body-medium); }
    .details { font: var(--mat-sys-body-medium); color: var(--mat-sys-on-surface-variant); }
    .when { font: var(--mat-sys-body-small); color: var(--mat-sys-on-surface-variant); }
    .inline-error { margin: 8px 0; color: var(--mat-sys-error); }
    .state { display: flex; flex-direction: column; align-items: center; gap: 8px; padding: 48px 24px;
      text-align: center; color: var(--mat-sys-on-surface-variant); --icon-size: 48px; }
    .state p { margin: 0; max-width: 32em; }
    .state .headline { font: var(--mat-sys-title-medium); color: var(--mat-sys-on-surface); }
    .state.error { color: var(--mat-sys-error); }
    .more { display: flex; justify-content: center; padding: 8px; }
  `,
})
export class AdminAuditPage implements OnInit {
  protected readonly store = inject(AdminAuditStore);
  private readonly auth = inject(AuthStore);

  protected readonly action = auditAction;
  protected readonly details = auditDetails;
  protected readonly actor = (event: AuditEventDto) =>
    auditActor(event, this.auth.user()?.id ?? null, event.actorId ? this.store.actors()[event.actorId] : undefined);
  protected readonly ago = (iso: string) => formatAgo(iso);
  protected readonly dateTime = (iso: string) => formatDateTime(iso);

  ngOnInit(): void {
    void this.store.load();
  }
}
