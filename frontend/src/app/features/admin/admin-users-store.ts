import { computed, DestroyRef, inject, Injectable, signal } from '@angular/core';
import { Api } from '../../../sdk/api';
import { adminUsers } from '../../../sdk/fn/admin/admin-users';
import type { AdminUserDto } from '../../../sdk/models/admin-user-dto';
import { describeError } from '../../core/api-errors';

const PAGE_SIZE = 50;
/** How long typing has to pause before the list is searched. */
export const SEARCH_DEBOUNCE_MS = 300;
/** The API's limit for `search`. */
export const SEARCH_MAX_LENGTH = 64;

/** Every account, newest first, searched as the admin types. Provided by the users page. */
@Injectable()
export class AdminUsersStore {
  private readonly api = inject(Api);
  private readonly items = signal<AdminUserDto[]>([]);
  private readonly nextCursor = signal<string | null>(null);
  private readonly state = signal<'idle' | 'loading' | 'loading-more' | 'loaded' | 'error'>('idle');
  private readonly errorMessage = signal<string | null>(null);
  private readonly moreErrorMessage = signal<string | null>(null);
  private readonly term = signal('');
  /** Which search the list on screen belongs to; answers to older requests are dropped. */
  private generation = 0;
  private debounce: ReturnType<typeof setTimeout> | undefined;

  readonly users = this.items.asReadonly();
  readonly search = this.term.asReadonly();
  readonly loading = computed(() => this.state() === 'loading');
  readonly loadingMore = computed(() => this.state() === 'loading-more');
  readonly loaded = computed(() => this.state() === 'loaded');
  /** Why the first page failed (nothing to show). */
  readonly error = this.errorMessage.asReadonly();
  /** Why the next page failed (the rows already shown stay). */
  readonly moreError = this.moreErrorMessage.asReadonly();
  readonly hasMore = computed(() => this.nextCursor() !== null);

  constructor() {
    inject(DestroyRef).onDestroy(() => clearTimeout(this.debounce));
  }

  /** The search box changed: the list follows once typing pauses. */
  setSearch(value: string): void {
    const term = value.trim().slice(0, SEARCH_MAX_LENGTH);
    if (term === this.term()) return;
    clearTimeout(this.debounce);
    this.term.set(term);
    this.debounce = setTimeout(() => void this.load(), SEARCH_DEBOUNCE_MS);
  }

  /** The first page for the current search. */
  async load(): Promise<void> {
    clearTimeout(this.debounce);
    const generation = ++this.generation;
    this.state.set('loading');
    this.errorMessage.set(null);
    this.moreErrorMessage.set(null);
    try {
      const page = await this.api.invoke(adminUsers, { limit: PAGE_SIZE, search: this.term() || undefined });
      if (generation !== this.generation) return;
      this.items.set(page.items);
      this.nextCursor.set(page.nextCursor);
      this.state.set('loaded');
    } catch (error) {
      if (generation !== this.generation) return;
      this.items.set([]);
      this.nextCursor.set(null);
      this.errorMessage.set(describeError(error));
      this.state.set('error');
    }
  }

  async loadMore(): Promise<void> {
    const cursor = this.nextCursor();
    if (cursor === null || this.state() !== 'loaded') return;
    const generation = this.generation;
    this.state.set('loading-more');
    this.moreErrorMessage.set(null);
    try {
      const page = await this.api.invoke(adminUsers, { limit: PAGE_SIZE, cursor, search: this.term() || undefined });
      if (generation !== this.generation) return;
      const known = new Set(this.items().map((user) => user.id));
      this.items.update((items) => [...items, ...page.items.filter((user) => !known.has(user.id))]);
      this.nextCursor.set(page.nextCursor);
    } catch (error) {
      if (generation !== this.generation) return;
      this.moreErrorMessage.set(describeError(error));
    } finally {
      if (generation === this.generation) this.state.set('loaded');
    }
  }

  /** An erased account leaves the list at once. */
  remove(id: string): void {
    this.items.update((items) => items.filter((user) => user.id !== id));
  }
}
