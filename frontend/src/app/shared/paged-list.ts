import { computed, signal } from '@angular/core';
import { describeError } from '../core/api-errors';

/** One page of a cursor-paged list as the API returns it. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * A cursor-paged list, newest first, for a store to compose: `load` fetches the first page again (the items
 * on screen stay until the answer comes), `loadMore` appends the next one without repeating an item. An
 * answer to a request older than the last `load` is dropped.
 */
export class PagedList<T extends { id: string }> {
  private readonly list = signal<T[]>([]);
  private readonly nextCursor = signal<string | null>(null);
  private readonly state = signal<'idle' | 'loading' | 'refreshing' | 'loading-more' | 'loaded' | 'error'>('idle');
  private readonly errorMessage = signal<string | null>(null);
  private generation = 0;

  readonly items = this.list.asReadonly();
  readonly loading = computed(() => this.state() === 'loading');
  readonly refreshing = computed(() => this.state() === 'refreshing');
  readonly loadingMore = computed(() => this.state() === 'loading-more');
  readonly loaded = computed(() => this.state() === 'loaded');
  readonly busy = computed(() => ['loading', 'refreshing', 'loading-more'].includes(this.state()));
  /** Why the last request failed; with `failed` there is nothing to show, otherwise the items loaded before stay. */
  readonly error = this.errorMessage.asReadonly();
  readonly failed = computed(() => this.state() === 'error');
  readonly hasMore = computed(() => this.nextCursor() !== null);

  /**
   * @param fetchPage asks the API for the page after `cursor` (the first page without one).
   * @param onPage is told of each page that made it onto the list, `first` when it replaced the list.
   */
  constructor(
    private readonly fetchPage: (cursor?: string) => Promise<Page<T>>,
    private readonly onPage?: (items: T[], first: boolean) => void,
  ) {}

  async load(): Promise<void> {
    const generation = ++this.generation;
    this.state.set(this.list().length ? 'refreshing' : 'loading');
    this.errorMessage.set(null);
    try {
      const page = await this.fetchPage();
      if (generation !== this.generation) return;
      this.list.set(page.items);
      this.nextCursor.set(page.nextCursor);
      this.state.set('loaded');
      this.onPage?.(page.items, true);
    } catch (error) {
      if (generation !== this.generation) return;
      this.errorMessage.set(describeError(error));
      this.state.set(this.list().length ? 'loaded' : 'error');
    }
  }

  async loadMore(): Promise<void> {
    const cursor = this.nextCursor();
    if (cursor === null || this.state() !== 'loaded') return;
    const generation = this.generation;
    this.state.set('loading-more');
    this.errorMessage.set(null);
    try {
      const page = await this.fetchPage(cursor);
      if (generation !== this.generation) return;
      const known = new Set(this.list().map((item) => item.id));
      this.list.update((items) => [...items, ...page.items.filter((item) => !known.has(item.id))]);
      this.nextCursor.set(page.nextCursor);
      this.onPage?.(page.items, false);
    } catch (error) {
      if (generation !== this.generation) return;
      this.errorMessage.set(describeError(error));
    } finally {
      if (generation === this.generation) this.state.set('loaded');
    }
  }
}
