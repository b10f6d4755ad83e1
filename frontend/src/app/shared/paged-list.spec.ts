import { HttpErrorResponse } from '@angular/common/http';
import { type Page, PagedList } from './paged-list';

interface Item {
  id: string;
}

/** A request the spec answers by hand. */
interface Pending {
  cursor: string | undefined;
  resolve: (page: Page<Item>) => void;
  reject: (error: unknown) => void;
}

const items = (...ids: string[]): Item[] => ids.map((id) => ({ id }));
const serverError = () => new HttpErrorResponse({ status: 503, error: { code: 'UNAVAILABLE', message: 'Down' } });

describe('PagedList', () => {
  let requests: Pending[];
  let pages: { ids: string[]; first: boolean }[];
  let sut: PagedList<Item>;

  beforeEach(() => {
    requests = [];
    pages = [];
    sut = new PagedList<Item>(
      (cursor) => new Promise<Page<Item>>((resolve, reject) => requests.push({ cursor, resolve, reject })),
      (page, first) => pages.push({ ids: page.map((item) => item.id), first }),
    );
  });

  /** The first page: a, b with more after b. */
  async function loadFirst(): Promise<void> {
    const done = sut.load();
    requests[0].resolve({ items: items('a', 'b'), nextCursor: 'after-b' });
    await done;
  }

  it('loads the first page without a cursor', async () => {
    const done = sut.load();
    expect(sut.loading()).toBe(true);
    expect(sut.busy()).toBe(true);
    expect(requests.map((request) => request.cursor)).toEqual([undefined]);
    requests[0].resolve({ items: items('a', 'b'), nextCursor: 'after-b' });
    await done;
    expect(sut.items().map((item) => item.id)).toEqual(['a', 'b']);
    expect(sut.loaded()).toBe(true);
    expect(sut.busy()).toBe(false);
    expect(sut.hasMore()).toBe(true);
    expect(pages).toEqual([{ ids: ['a', 'b'], first: true }]);
  });

  it('fails with nothing to show when the first page cannot be loaded', async () => {
    const done = sut.load();
    requests[0].reject(serverError());
    await done;
    expect(sut.failed()).toBe(true);
    expect(sut.error()).toBe('Something went wrong on the server. Please try again.');
    expect(sut.items()).toEqual([]);
    expect(pages).toEqual([]);
  });

  it('keeps the items on screen while refreshing, and when the refresh fails', async () => {
    await loadFirst();
    const done = sut.load();
    expect(sut.refreshing()).toBe(true);
    expect(sut.loading()).toBe(false);
    requests[1].reject(serverError());
    await done;
    expect(sut.failed()).toBe(false);
    expect(sut.loaded()).toBe(true);
    expect(sut.error()).toBe('Something went wrong on the server. Please try again.');
    expect(sut.items().map((item) => item.id)).toEqual(['a', 'b']);
  });

  it('appends the next page with the cursor, without repeating an item', async () => {
    await loadFirst();
    const done = sut.loadMore();
    expect(sut.loadingMore()).toBe(true);
    expect(requests[1].cursor).toBe('after-b');
    requests[1].resolve({ items: items('b', 'c'), nextCursor: null });
    await done;
    expect(sut.items().map((item) => item.id)).toEqual(['a', 'b', 'c']);
    expect(sut.hasMore()).toBe(false);
    expect(sut.loaded()).toBe(true);
    expect(pages[1]).toEqual({ ids: ['b', 'c'], first: false });
  });

  it('does not load more while busy or without a cursor', async () => {
    void sut.load();
    await sut.loadMore();
    expect(requests).toHaveLength(1);
    requests[0].resolve({ items: items('a'), nextCursor: null });
    await Promise.resolve();
    await sut.loadMore();
    expect(requests).toHaveLength(1);
  });

  it('keeps the items when the next page fails, with the reason', async () => {
    await loadFirst();
    const done = sut.loadMore();
    requests[1].reject(serverError());
    await done;
    expect(sut.loaded()).toBe(true);
    expect(sut.error()).toBe('Something went wrong on the server. Please try again.');
    expect(sut.items().map((item) => item.id)).toEqual(['a', 'b']);
    expect(sut.hasMore()).toBe(true);
  });

  it('drops an answer that a later refresh overtook', async () => {
    await loadFirst();
    const more = sut.loadMore();
    const stale = sut.load();
    const fresh = sut.load();
    requests[3].resolve({ items: items('z'), nextCursor: null });
    await fresh;
    requests[2].resolve({ items: items('old'), nextCursor: 'old-cursor' });
    requests[1].resolve({ items: items('c'), nextCursor: 'after-c' });
    await Promise.all([stale, more]);
    expect(sut.items().map((item) => item.id)).toEqual(['z']);
    expect(sut.hasMore()).toBe(false);
    expect(sut.loaded()).toBe(true);
    expect(pages.map((page) => page.ids)).toEqual([['a', 'b'], ['z']]);
  });
});
