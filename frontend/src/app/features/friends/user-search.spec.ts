import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting, type TestRequest } from '@angular/common/http/testing';
import { TestBed, type ComponentFixture } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import type { UserSummaryDto } from '../../../sdk/models/user-summary-dto';
import { FriendsStore, type Relation } from './friends-store';
import { SEARCH_DEBOUNCE_MS, UserSearch } from './user-search';

const bob: UserSummaryDto = { id: 'u2', username: 'bob', displayName: 'Bob Builder', avatarVersion: null };
const bobby: UserSummaryDto = { id: 'u3', username: 'bobby', displayName: 'Bobby Tables', avatarVersion: null };

class FakeFriendsStore {
  readonly relations = new Map<string, Relation>();
  readonly sendRequest = vi.fn(async () => true);
  readonly cancel = vi.fn(async () => true);
  readonly accept = vi.fn(async () => true);
  readonly decline = vi.fn(async () => true);
  readonly unblock = vi.fn(async () => true);
  readonly openConversation = vi.fn(async () => 'c1');
  relationOf(id: string): Relation {
    return this.relations.get(id) ?? { kind: 'none' };
  }
  isBusy(): boolean {
    return false;
  }
  isOnline(): boolean {
    return false;
  }
}

describe('UserSearch', () => {
  let fixture: ComponentFixture<UserSearch>;
  let element: HTMLElement;
  let http: HttpTestingController;
  let store: FakeFriendsStore;
  let active: boolean[];

  const searches = (): TestRequest[] => http.match((request) => request.url === '/api/users');

  function type(value: string): void {
    const input = element.querySelector('input')!;
    input.value = value;
    input.dispatchEvent(new Event('input'));
    fixture.detectChanges();
  }

  function wait(ms: number): void {
    vi.advanceTimersByTime(ms);
    fixture.detectChanges();
  }

  function loadingShown(): boolean {
    return element.querySelector('[data-testid="search-loading"]') !== null;
  }

  function names(): string[] {
    return [...element.querySelectorAll('app-person-row .name')].map((name) => name.textContent!.trim());
  }

  beforeEach(() => {
    vi.useFakeTimers();
    store = new FakeFriendsStore();
    TestBed.configureTestingModule({
      providers: [provideHttpClient(), provideHttpClientTesting(), provideRouter([]), { provide: FriendsStore, useValue: store }],
    });
    http = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(UserSearch);
    active = [];
    fixture.componentInstance.activeChange.subscribe((value) => active.push(value));
    element = fixture.nativeElement as HTMLElement;
    fixture.detectChanges();
  });

  afterEach(() => {
    http.verify();
    vi.useRealTimers();
  });

  describe('debounce', () => {
    it('asks the server once, after typing pauses, with the trimmed term', () => {
      type('b');
      wait(100);
      type('bo');
      wait(100);
      type('bob ');
      expect(loadingShown()).toBe(true);
      expect(active).toEqual([true]);
      wait(SEARCH_DEBOUNCE_MS - 1);
      expect(searches()).toHaveLength(0);
      wait(1);

      const [request] = searches();
      expect(request.request.params.get('search')).toBe('bob');
      request.flush({ items: [bob, bobby], nextCursor: null });
      fixture.detectChanges();
      expect(names()).toEqual(['Bob Builder', 'Bobby Tables']);
      expect(loadingShown()).toBe(false);
      expect(element.querySelector('[role="status"]')!.textContent).toContain('2 people found.');
    });

    it('does not search for blanks, and clearing goes back to the page', () => {
      type('   ');
      wait(SEARCH_DEBOUNCE_MS);
      expect(searches()).toHaveLength(0);
      expect(element.querySelector('[aria-label="Search results"]')).toBeNull();

      type('bob');
      wait(SEARCH_DEBOUNCE_MS);
      searches()[0].flush({ items: [bob], nextCursor: null });
      fixture.detectChanges();
      (element.querySelector('button[aria-label="Clear search"]') as HTMLButtonElement).click();
      fixture.detectChanges();
      expect(element.querySelector('input')!.value).toBe('');
      expect(element.querySelector('[aria-label="Search results"]')).toBeNull();
      expect(active).toEqual([true, false]);
    });
  });

  describe('stale requests', () => {
    it('aborts the request in flight when the term changes, and shows only the newest answer', () => {
      type('bo');
      wait(SEARCH_DEBOUNCE_MS);
      const [stale] = searches();
      expect(stale.request.params.get('search')).toBe('bo');

      type('bobb');
      expect(stale.cancelled).toBe(true);
      wait(SEARCH_DEBOUNCE_MS);
      const [fresh] = searches();
      expect(fresh.request.params.get('search')).toBe('bobb');
      fresh.flush({ items: [bobby], nextCursor: null });
      fixture.detectChanges();
      expect(names()).toEqual(['Bobby Tables']);
    });

    it('aborts the request in flight when the box is cleared', () => {
      type('bob');
      wait(SEARCH_DEBOUNCE_MS);
      const [stale] = searches();
      type('');
      expect(stale.cancelled).toBe(true);
      wait(SEARCH_DEBOUNCE_MS);
      expect(searches()).toHaveLength(0);
      expect(names()).toEqual([]);
    });

    it('keeps the previous results on screen while the next search runs', () => {
      type('bob');
      wait(SEARCH_DEBOUNCE_MS);
      searches()[0].flush({ items: [bob, bobby], nextCursor: null });
      type('bobby');
      expect(loadingShown()).toBe(true);
      expect(names()).toEqual(['Bob Builder', 'Bobby Tables']);
      wait(SEARCH_DEBOUNCE_MS);
      searches()[0].flush({ items: [bobby], nextCursor: null });
      fixture.detectChanges();
      expect(names()).toEqual(['Bobby Tables']);
    });
  });

  it('says when no one was found', () => {
    type('zed');
    wait(SEARCH_DEBOUNCE_MS);
    searches()[0].flush({ items: [], nextCursor: null });
    fixture.detectChanges();
    expect(element.textContent).toContain('No one found');
    expect(element.textContent).toContain('Nobody matches “zed”');
  });

  it('says why a search failed and tries again', () => {
    type('bob');
    wait(SEARCH_DEBOUNCE_MS);
    searches()[0].flush({ statusCode: 500, error: 'Internal Server Error', message: 'x' }, { status: 500, statusText: 'Server Error' });
    fixture.detectChanges();
    const alert = element.querySelector('[role="alert"]')!;
    expect(alert.textContent).toContain('Something went wrong on the server.');
    (alert.querySelector('button') as HTMLButtonElement).click();
    wait(SEARCH_DEBOUNCE_MS);
    searches()[0].flush({ items: [bob], nextCursor: null });
    fixture.detectChanges();
    expect(names()).toEqual(['Bob Builder']);
  });

  it('offers the action that fits each relationship', () => {
    const carol = { id: 'u4', username: 'carol', displayName: 'Carol' };
    const dave = { id: 'u5', username: 'dave', displayName: 'Dave' };
    const erin = { id: 'u6', username: 'erin', displayName: 'Erin' };
    const request = { id: 'r1', from: bob, to: bob, createdAt: '' };
    store.relations.set('u3', { kind: 'friend', friend: { ...bobby, statusMessage: '', friendsSince: '' } });
    store.relations.set('u4', { kind: 'outgoing', request });
    store.relations.set('u5', { kind: 'incoming', request });
    store.relations.set('u6', { kind: 'blocked' });
    type('a');
    wait(SEARCH_DEBOUNCE_MS);
    searches()[0].flush({ items: [bob, bobby, carol, dave, erin], nextCursor: null });
    fixture.detectChanges();

    const buttons = [...element.querySelectorAll('li button')].map((button) => button.getAttribute('aria-label'));
    expect(buttons).toEqual([
      'Add Bob Builder as a friend',
      'Message Bobby Tables',
      'Cancel friend request to Carol',
      'Accept friend request from Dave',
      'Decline friend request from Dave',
      'Unblock Erin',
    ]);
    expect(element.textContent).toContain('Request sent');
    expect(element.textContent).toContain('Blocked');

    (element.querySelector('button[aria-label="Add Bob Builder as a friend"]') as HTMLButtonElement).click();
    expect(store.sendRequest).toHaveBeenCalledWith(bob);
    (element.querySelector('button[aria-label="Cancel friend request to Carol"]') as HTMLButtonElement).click();
    expect(store.cancel).toHaveBeenCalledWith(request);
  });
});
