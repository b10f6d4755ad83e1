import { HttpClient } from '@angular/common/http';
import { ChangeDetectionStrategy, Component, computed, inject, output, signal } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { Router } from '@angular/router';
import { type Observable, of, Subject, timer } from 'rxjs';
import { catchError, map, startWith, switchMap } from 'rxjs/operators';
import { Api } from '../../../sdk/api';
import { usersSearch } from '../../../sdk/fn/users/users-search';
import type { UserSummaryDto } from '../../../sdk/models/user-summary-dto';
import type { UserSummaryPageDto } from '../../../sdk/models/user-summary-page-dto';
import { describeError } from '../../core/api-errors';
import { Icon } from '../../shared/icon';
import { FriendsStore } from './friends-store';
import { PersonRow } from './person-row';

/** Wait this long after the last keystroke before asking the server. */
export const SEARCH_DEBOUNCE_MS = 300;
/** The API takes 1–64 characters (after trimming). */
const MIN_LENGTH = 1;
const MAX_LENGTH = 64;
const PAGE_SIZE = 20;

type SearchState =
  | { kind: 'idle' }
  | { kind: 'loading'; term: string }
  | { kind: 'done'; term: string; page: UserSummaryPageDto }
  | { kind: 'error'; term: string; message: string };

/**
 * Finds people as you type: each keystroke drops the pending search (and aborts a request in flight),
 * then asks again once typing pauses. Each result offers what fits the relationship.
 */
@Component({
  selector: 'app-user-search',
  imports: [MatFormFieldModule, MatInputModule, MatButtonModule, MatProgressBarModule, Icon, PersonRow],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <div class="field-row">
      <mat-form-field appearance="outline" subscriptSizing="dynamic" class="field">
        <mat-label>Find people</mat-label>
        <app-icon matPrefix name="search" class="prefix" />
        <input
          matInput
          type="search"
          autocomplete="off"
          spellcheck="false"
          [attr.maxlength]="maxLength"
          placeholder="Name or username"
          [attr.aria-controls]="active() ? 'search-results' : null"
          [value]="query()"
          (input)="onInput($any($event.target).value)"
          (keydown.escape)="clear()"
        />
        @if (query()) {
          <button matSuffix mat-icon-button type="button" aria-label="Clear search" (click)="clear()">
            <app-icon name="close" />
          </button>
        }
      </mat-form-field>
    </div>
    <p class="sr-only" role="status" aria-live="polite">{{ announcement() }}</p>
    @if (active()) {
      <section id="search-results" class="results" aria-label="Search results" [attr.aria-busy]="searching()">
        @if (searching()) {
          <mat-progress-bar mode="indeterminate" aria-label="Searching" data-testid="search-loading" />
        }
        @switch (state().kind) {
          @case ('error') {
            <div class="state error" role="alert">
              <app-icon name="error" />
              <p>Search failed. {{ errorMessage() }}</p>
              <button mat-stroked-button type="button" (click)="retry()">Try again</button>
            </div>
          }
          @case ('done') {
            @if (results().length === 0) {
              <div class="state">
                <p class="headline">No one found</p>
                <p>Nobody matches “{{ term() }}”. Check the spelling, or try their exact username.</p>
              </div>
            }
          }
        }
        @if (results().length > 0) {
          <ul class="list" aria-label="People found">
            @for (user of results(); track user.id) {
              @let relation = store.relationOf(user.id);
              @let busy = store.isBusy(user.id);
              <li>
                <app-person-row [user]="user" [name]="user.displayName" [username]="user.username" [online]="store.isOnline(user.id)">
                  @switch (relation.kind) {
                    @case ('friend') {
                      <span class="tag">Friends</span>
                      <button mat-flat-button type="button" [disabled]="busy" [attr.aria-label]="'Message ' + user.displayName" (click)="message(user)">
                        Message
                      </button>
                    }
                    @case ('outgoing') {
                      <span class="tag"><app-icon name="schedule" class="tag-icon" />Request sent</span>
                      <button mat-button type="button" [disabled]="busy" [attr.aria-label]="'Cancel friend request to ' + user.displayName" (click)="store.cancel(relation.request)">
                        Cancel
                      </button>
                    }
                    @case ('incoming') {
                      <button mat-flat-button type="button" [disabled]="busy" [attr.aria-label]="'Accept friend request from ' + user.displayName" (click)="store.accept(relation.request)">
                        Accept
                      </button>
                      <button mat-button type="button" [disabled]="busy" [attr.aria-label]="'Decline friend request from ' + user.displayName" (click)="store.decline(relation.request)">
                        Decline
                      </button>
                    }
                    @case ('blocked') {
                      <span class="tag blocked"><app-icon name="block" class="tag-icon" />Blocked</span>
                      <button mat-button type="button" [disabled]="busy" [attr.aria-label]="'Unblock ' + user.displayName" (click)="store.unblock(user)">
                        Unblock
                      </button>
                    }
                    @default {
                      <button mat-stroked-button type="button" [disabled]="busy" [attr.aria-label]="'Add ' + user.displayName + ' as a friend'" (click)="store.sendRequest(user)">
                        <app-icon matButtonIcon name="person-add" class="button-icon" />
                        Add friend
                      </button>
                    }
                  }
                </app-person-row>
              </li>
            }
          </ul>
          @if (nextCursor()) {
            <div class="more">
              <button mat-button type="button" [disabled]="loadingMore()" (click)="loadMore()">Show more people</button>
            </div>
          }
        }
      </section>
    }
  `,
  styles: `
    :host { display: block; }
    .field-row { padding: 4px 16px 8px; }
    .field { width: 100%; }
    .prefix { margin: 0 4px 0 12px; color: var(--mat-sys-on-surface-variant); }
    .results { display: block; }
    .list { list-style: none; margin: 0; padding: 0; }
    .list li + li { border-top: 1px solid var(--mat-sys-outline-variant); }
    .tag { display: inline-flex; align-items: center; gap: 4px; padding: 0 8px; font: var(--mat-sys-label-medium);
      color: var(--mat-sys-on-surface-variant); }
    .tag.blocked { color: var(--mat-sys-error); }
    .tag-icon { --icon-size: 16px; }
    .button-icon { --icon-size: 18px; margin-right: 6px; }
    .state { display: flex; flex-direction: column; align-items: center; gap: 8px; padding: 32px 24px;
      text-align: center; color: var(--mat-sys-on-surface-variant); font: var(--mat-sys-body-medium); --icon-size: 40px; }
    .state p { margin: 0; max-width: 32em; overflow-wrap: anywhere; }
    .state .headline { font: var(--mat-sys-title-medium); color: var(--mat-sys-on-surface); }
    .state.error { color: var(--mat-sys-error); }
    .more { display: flex; justify-content: center; padding: 8px; }
    .sr-only { position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden;
      clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
  `,
})
export class UserSearch {
  protected readonly store = inject(FriendsStore);
  private readonly api = inject(Api);
  private readonly http = inject(HttpClient);
  private readonly router = inject(Router);
  private readonly terms$ = new Subject<string>();

  protected readonly maxLength = MAX_LENGTH;
  protected readonly query = signal('');
  protected readonly state = signal<SearchState>({ kind: 'idle' });
  private readonly extra = signal<{ items: UserSummaryDto[]; nextCursor: string | null } | null>(null);
  protected readonly loadingMore = signal(false);

  /** True while a search term is in the box: the page shows results instead of its lists. */
  readonly activeChange = output<boolean>();

  protected readonly active = computed(() => this.state().kind !== 'idle');
  protected readonly searching = computed(() => this.state().kind === 'loading');
  protected readonly term = computed(() => {
    const state = this.state();
    return state.kind === 'idle' ? '' : state.term;
  });
  protected readonly errorMessage = computed(() => {
    const state = this.state();
    return state.kind === 'error' ? state.message : '';
  });
  /** The last answer's people stay on screen while the next search runs, so the list does not flicker. */
  private readonly shown = signal<UserSummaryDto[]>([]);
  protected readonly results = computed(() => [...this.shown(), ...(this.extra()?.items ?? [])]);
  protected readonly nextCursor = computed(() => {
    const extra = this.extra();
    if (extra) return extra.nextCursor;
    const state = this.state();
    return state.kind === 'done' ? state.page.nextCursor : null;
  });
  protected readonly announcement = computed(() => {
    const state = this.state();
    if (state.kind === 'loading') return 'Searching…';
    if (state.kind === 'error') return 'Search failed.';
    if (state.kind !== 'done') return '';
    const count = this.results().length;
    if (count === 0) return 'No one found.';
    return count === 1 ? '1 person found.' : `${count} people found.`;
  });

  constructor() {
    this.terms$
      .pipe(
        // switchMap first: a new keystroke drops the waiting timer or aborts the request in flight at once.
        switchMap((term): Observable<SearchState> => {
          if (term.length < MIN_LENGTH) return of({ kind: 'idle' });
          return timer(SEARCH_DEBOUNCE_MS).pipe(
            switchMap(() => this.fetch(term)),
            startWith<SearchState>({ kind: 'loading', term }),
          );
        }),
        takeUntilDestroyed(),
      )
      .subscribe((state) => this.apply(state));
  }

  protected onInput(value: string): void {
    this.query.set(value);
    this.terms$.next(value.trim().slice(0, MAX_LENGTH));
  }

  protected clear(): void {
    this.onInput('');
  }

  protected retry(): void {
    this.terms$.next(this.query().trim().slice(0, MAX_LENGTH));
  }

  protected async loadMore(): Promise<void> {
    const cursor = this.nextCursor();
    const state = this.state();
    if (!cursor || state.kind !== 'done' || this.loadingMore()) return;
    this.loadingMore.set(true);
    try {
      const page = await this.api.invoke(usersSearch, { search: state.term, limit: PAGE_SIZE, cursor });
      if (this.state() !== state) return;
      const known = new Set(this.results().map((user) => user.id));
      this.extra.update((extra) => ({
        items: [...(extra?.items ?? []), ...page.items.filter((user) => !known.has(user.id))],
        nextCursor: page.nextCursor,
      }));
    } catch (error) {
      if (this.state() === state) this.apply({ kind: 'error', term: state.term, message: describeError(error) });
    } finally {
      this.loadingMore.set(false);
    }
  }

  protected async message(user: UserSummaryDto): Promise<void> {
    const id = await this.store.openConversation(user);
    if (id) await this.router.navigate(['/chats', id]);
  }

  /**
   * The generated SDK function called with its Observable (not `Api.invoke`'s promise), so that
   * unsubscribing aborts a request that a newer keystroke made stale.
   */
  private fetch(term: string): Observable<SearchState> {
    return usersSearch(this.http, this.api.rootUrl, { search: term, limit: PAGE_SIZE }).pipe(
      map((response): SearchState => ({ kind: 'done', term, page: response.body })),
      catchError((error: unknown) => of<SearchState>({ kind: 'error', term, message: describeError(error) })),
    );
  }

  private apply(state: SearchState): void {
    const wasActive = this.active();
    this.state.set(state);
    if (state.kind !== 'loading') this.extra.set(null);
    if (state.kind === 'done') this.shown.set(state.page.items);
    if (state.kind === 'idle' || state.kind === 'error') this.shown.set([]);
    if (wasActive !== this.active()) this.activeChange.emit(this.active());
  }
}
