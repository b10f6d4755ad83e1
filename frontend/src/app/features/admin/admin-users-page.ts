import { ChangeDetectionStrategy, Component, computed, type ElementRef, inject, type OnInit, viewChild } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatDialog } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatProgressSpinnerModule } from '@angular/material/progress-spinner';
import { firstValueFrom } from 'rxjs';
import type { AdminUserDto } from '../../../sdk/models/admin-user-dto';
import { AuthStore } from '../../core/auth-store';
import { Avatar } from '../../shared/avatar';
import { Icon } from '../../shared/icon';
import { Toasts } from '../../shared/toasts';
import { erasureParts, formatAgo, formatBytes, formatDate, formatDateTime, formatNumber } from './admin-format';
import { AdminUsersStore, SEARCH_MAX_LENGTH } from './admin-users-store';
import { EraseUserDialog, type EraseUserDialogData, type EraseUserDialogResult } from './erase-user-dialog';

/** Every account with what it holds, searchable, each with a way to erase it. */
@Component({
  selector: 'app-admin-users-page',
  imports: [MatButtonModule, MatFormFieldModule, MatInputModule, MatProgressSpinnerModule, Avatar, Icon],
  providers: [AdminUsersStore],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <mat-form-field appearance="outline" class="search" subscriptSizing="dynamic">
      <mat-label>Search users</mat-label>
      <app-icon matPrefix name="search" class="search-icon" />
      <input
        #searchInput
        matInput
        type="search"
        autocomplete="off"
        autocapitalize="none"
        spellcheck="false"
        [attr.maxlength]="maxLength"
        (input)="store.setSearch(searchInput.value)"
        aria-describedby="admin-users-status"
      />
      <mat-hint>Part of a username or display name</mat-hint>
    </mat-form-field>

    <p id="admin-users-status" class="status" role="status">{{ status() }}</p>

    @if (store.error(); as error) {
      <div class="state error" role="alert">
        <app-icon name="error" />
        <p>Could not load the users. {{ error }}</p>
        <button mat-stroked-button type="button" (click)="store.load()">Try again</button>
      </div>
    } @else if (store.loading() && store.users().length === 0) {
      <div class="state">
        <mat-spinner diameter="36" />
        <p>Loading users…</p>
      </div>
    } @else if (store.loaded() && store.users().length === 0) {
      <div class="state empty">
        <app-icon name="person-search" />
        @if (store.search()) {
          <p class="headline">No user matches “{{ store.search() }}”</p>
          <p>Try part of the username or of the display name.</p>
        } @else {
          <p class="headline">No users yet</p>
        }
      </div>
    }

    @if (store.users().length > 0) {
      <table class="users" role="table" aria-label="Users" [class.stale]="store.loading()" [attr.aria-busy]="store.loading()">
        <thead role="rowgroup">
          <tr role="row">
            <th role="columnheader" scope="col">User</th>
            <th role="columnheader" scope="col">Joined</th>
            <th role="columnheader" scope="col">Last active</th>
            <th role="columnheader" scope="col" class="num">Messages</th>
            <th role="columnheader" scope="col" class="num">Files</th>
            <th role="columnheader" scope="col"><span class="sr-only">Actions</span></th>
          </tr>
        </thead>
        <tbody role="rowgroup">
          @for (user of store.users(); track user.id) {
            <tr role="row" data-testid="admin-user-row">
              <td role="cell" class="who-cell">
                <div class="who">
                  <app-avatar [name]="user.displayName || user.username" [user]="user" size="small" />
                  <span class="names">
                    <span class="display-name">{{ user.displayName || user.username }}</span>
                    <span class="username">&#64;{{ user.username }}</span>
                  </span>
                  @if (user.role === 'admin') {
                    <span class="role">Admin</span>
                  }
                  @if (user.id === auth.user()?.id) {
                    <span class="role you">You</span>
                  }
                </div>
              </td>
              <td role="cell" data-label="Joined"><time [attr.datetime]="user.createdAt">{{ date(user.createdAt) }}</time></td>
              <td role="cell" data-label="Last active">
                @if (user.lastSeenAt) {
                  <time [attr.datetime]="user.lastSeenAt" [attr.title]="dateTime(user.lastSeenAt)">{{ ago(user.lastSeenAt) }}</time>
                } @else {
                  <span class="muted">Signed out everywhere</span>
                }
              </td>
              <td role="cell" data-label="Messages" class="num">{{ number(user.messageCount) }}</td>
              <td role="cell" data-label="Files" class="num">{{ user.attachmentBytes ? bytes(user.attachmentBytes) : '—' }}</td>
              <td role="cell" class="actions">
                <button mat-stroked-button type="button" class="erase" [attr.aria-label]="'Erase ' + user.username" (click)="erase(user)">
                  <app-icon name="delete-forever" />
                  Erase
                </button>
              </td>
            </tr>
          }
        </tbody>
      </table>
      @if (store.moreError(); as error) {
        <p class="more-error" role="alert">Could not load more users. {{ error }}</p>
      }
      @if (store.hasMore()) {
        <div class="more">
          <button mat-button type="button" [disabled]="store.loadingMore()" (click)="store.loadMore()">
            {{ store.loadingMore() ? 'Loading…' : 'Load more users' }}
          </button>
        </div>
      }
    }
  `,
  styles: `
    :host { display: block; padding: 0 16px 24px; }
    .search { width: 100%; }
    .search-icon { padding: 0 4px 0 12px; color: var(--mat-sys-on-surface-variant); }
    .status { margin: 8px 0; min-height: 1.4em; font: var(--mat-sys-body-small); color: var(--mat-sys-on-surface-variant); }
    .sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
    .users { width: 100%; border-collapse: collapse; font: var(--mat-sys-body-medium); }
    .users.stale { opacity: 0.6; }
    th { text-align: left; padding: 8px; font: var(--mat-sys-label-medium); color: var(--mat-sys-on-surface-variant);
      border-bottom: 1px solid var(--mat-sys-outline-variant); }
    td { padding: 8px; border-bottom: 1px solid var(--mat-sys-outline-variant); vertical-align: middle; }
    .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
    .who { display: flex; align-items: center; gap: 10px; min-width: 0; }
    .names { display: flex; flex-direction: column; min-width: 0; }
    .display-name, .username { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    .display-name { font: var(--mat-sys-title-small); color: var(--mat-sys-on-surface); }
    .username { font: var(--mat-sys-body-small); color: var(--mat-sys-on-surface-variant); }
    .role { padding: 2px 8px; border-radius: 8px; font: var(--mat-sys-label-small);
      background: var(--mat-sys-primary-container); color: var(--mat-sys-on-primary-container); }
    .role.you { background: var(--mat-sys-secondary-container); color: var(--mat-sys-on-secondary-container); }
    .muted { color: var(--mat-sys-on-surface-variant); }
    .actions { text-align: right; }
    .erase { --icon-size: 18px; color: var(--mat-sys-error); }
    .erase app-icon { vertical-align: -4px; margin-right: 4px; }
    .state { display: flex; flex-direction: column; align-items: center; gap: 8px; padding: 48px 24px;
      text-align: center; color: var(--mat-sys-on-surface-variant); --icon-size: 48px; }
    .state p { margin: 0; max-width: 32em; }
    .state .headline { font: var(--mat-sys-title-medium); color: var(--mat-sys-on-surface); overflow-wrap: anywhere; }
    .state.error { color: var(--mat-sys-error); }
    .more { display: flex; justify-content: center; padding: 8px; }
    .more-error { margin: 8px 0; text-align: center; color: var(--mat-sys-error); }
    @media (max-width: 640px) {
      thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
      .users, tbody { display: block; }
      tr { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 4px 16px; padding: 12px;
        margin-bottom: 12px; border: 1px solid var(--mat-sys-outline-variant); border-radius: 12px;
        background: var(--mat-sys-surface-container-low); }
      td { display: block; padding: 0; border: 0; text-align: left; }
      td[data-label]::before { content: attr(data-label); display: block; font: var(--mat-sys-label-small);
        color: var(--mat-sys-on-surface-variant); }
      .num { text-align: left; }
      .who-cell { grid-column: 1 / -1; padding-bottom: 4px; }
      .actions { grid-column: 1 / -1; text-align: right; }
    }
  `,
})
export class AdminUsersPage implements OnInit {
  protected readonly store = inject(AdminUsersStore);
  protected readonly auth = inject(AuthStore);
  private readonly dialog = inject(MatDialog);
  private readonly toasts = inject(Toasts);
  private readonly searchInput = viewChild.required<ElementRef<HTMLInputElement>>('searchInput');

  protected readonly maxLength = SEARCH_MAX_LENGTH;
  protected readonly date = (iso: string) => formatDate(iso);
  protected readonly dateTime = (iso: string) => formatDateTime(iso);
  protected readonly ago = (iso: string) => formatAgo(iso);
  protected readonly bytes = (value: number) => formatBytes(value);
  protected readonly number = (value: number) => formatNumber(value);

  ngOnInit(): void {
    void this.store.load();
  }

  /** What the list shows, for everyone and for screen readers (a live region). */
  protected readonly status = computed(() => {
    if (this.store.loading()) return this.store.search() ? `Searching for “${this.store.search()}”…` : 'Loading users…';
    if (!this.store.loaded()) return '';
    const count = this.store.users().length;
    const shown = `${formatNumber(count)} ${count === 1 ? 'user' : 'users'}${this.store.hasMore() ? ' shown, more to load' : ''}`;
    return this.store.search() ? `${shown} matching “${this.store.search()}”` : shown;
  });

  protected async erase(user: AdminUserDto): Promise<void> {
    const self = user.id === this.auth.user()?.id;
    const ref = this.dialog.open<EraseUserDialog, EraseUserDialogData, EraseUserDialogResult>(EraseUserDialog, {
      data: { user, self },
      width: '480px',
      maxWidth: 'calc(100vw - 32px)',
      autoFocus: 'dialog',
    });
    const result = await firstValueFrom(ref.afterClosed());
    if (!result) return;
    this.store.remove(user.id);
    this.searchInput().nativeElement.focus();
    if (result.outcome === 'gone') {
      this.toasts.info(`@${user.username} no longer exists; someone erased the account already.`);
      return;
    }
    const parts = erasureParts(result.counts);
    this.toasts.info(`Erased @${user.username}${parts.length ? ` with ${parts.join(', ')}` : ''}.`);
    // Their own account: the session ended with it.
    if (self) await this.auth.signOut();
  }
}
