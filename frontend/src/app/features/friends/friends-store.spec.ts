import { HttpErrorResponse, provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting, type TestRequest } from '@angular/common/http/testing';
import { signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import type { FriendDto } from '../../../sdk/models/friend-dto';
import type { FriendRequestDto } from '../../../sdk/models/friend-request-dto';
import { AuthStore } from '../../core/auth-store';
import { Realtime } from '../../core/realtime';
import { FakeRealtime } from '../../core/realtime.fixtures';
import { Toasts } from '../../shared/toasts';
import { FriendsStore } from './friends-store';

const me = { id: 'u1', username: 'alice', displayName: 'Alice', avatarVersion: null as string | null };
const bob = { id: 'u2', username: 'bob', displayName: 'Bob', avatarVersion: null as string | null };
const carol = { id: 'u3', username: 'carol', displayName: 'Carol', avatarVersion: null as string | null };
const dave = { id: 'u4', username: 'dave', displayName: 'Dave', avatarVersion: null as string | null };

function friend(user: typeof bob, statusMessage = ''): FriendDto {
  return { ...user, statusMessage, friendsSince: '2026-01-01T10:00:00.000Z' };
}

function request(id: string, from: typeof bob, to: typeof bob): FriendRequestDto {
  return { id, from, to, createdAt: '2026-01-01T10:00:00.000Z' };
}

describe('FriendsStore', () => {
  let sut: FriendsStore;
  let http: HttpTestingController;
  let realtime: FakeRealtime;
  let toasts: { error: ReturnType<typeof vi.fn>; info: ReturnType<typeof vi.fn> };
  const user = signal<typeof me | null>(me);

  /** The next request to `path` (with these query parameters), once the store has made it. */
  const next = (method: string, path: string, params: Record<string, string> = {}): Promise<TestRequest> =>
    vi.waitFor(() =>
      http.expectOne(
        (req) =>
          req.method === method &&
          req.url === path &&
          Object.entries(params).every(([name, value]) => req.params.get(name) === value),
        `${method} ${path} ${JSON.stringify(params)}`,
      ),
    );

  async function load(lists: { friends?: FriendDto[]; incoming?: FriendRequestDto[]; outgoing?: FriendRequestDto[]; blocked?: typeof bob[] } = {}): Promise<void> {
    const done = sut.load();
    (await next('GET', '/api/friends')).flush({ items: lists.friends ?? [], nextCursor: null });
    (await next('GET', '/api/friends/requests', { direction: 'incoming' })).flush({ items: lists.incoming ?? [], nextCursor: null });
    (await next('GET', '/api/friends/requests', { direction: 'outgoing' })).flush({ items: lists.outgoing ?? [], nextCursor: null });
    (await next('GET', '/api/blocks')).flush({
      items: (lists.blocked ?? []).map((blocked) => ({ user: blocked, blockedAt: '2026-01-01T10:00:00.000Z' })),
      nextCursor: null,
    });
    await done;
  }

  beforeEach(() => {
    user.set(me);
    realtime = new FakeRealtime();
    toasts = { error: vi.fn(), info: vi.fn() };
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(),
        provideHttpClientTesting(),
        { provide: Realtime, useValue: realtime },
        { provide: AuthStore, useValue: { user } },
        { provide: Toasts, useValue: toasts },
      ],
    });
    sut = TestBed.inject(FriendsStore);
    http = TestBed.inject(HttpTestingController);
    TestBed.tick();
  });

  afterEach(() => http.verify());

  describe('load', () => {
    it('reads friends, requests both ways and blocks, following every page', async () => {
      const done = sut.load();
      expect(sut.loading()).toBe(true);
      (await next('GET', '/api/friends')).flush({ items: [friend(bob)], nextCursor: 'next' });
      (await next('GET', '/api/friends/requests', { direction: 'incoming' })).flush({ items: [request('r1', carol, me)], nextCursor: null });
      (await next('GET', '/api/friends/requests', { direction: 'outgoing' })).flush({ items: [], nextCursor: null });
      (await next('GET', '/api/blocks')).flush({ items: [], nextCursor: null });
      (await next('GET', '/api/friends', { cursor: 'next' })).flush({ items: [friend(dave)], nextCursor: null });
      await done;

      expect(sut.loaded()).toBe(true);
      expect(sut.friends().map((item) => item.id)).toEqual(['u2', 'u4']);
      expect(sut.incomingCount()).toBe(1);
    });

    it('says why when a list cannot be read', async () => {
      const done = sut.load();
      (await next('GET', '/api/friends')).error(new ProgressEvent('error'));
      http.match(() => true).forEach((pending) => pending.flush({ items: [], nextCursor: null }));
      await done;
      expect(sut.error()).toBe('Cannot reach the server. Check your connection and try again.');
      expect(sut.loaded()).toBe(false);
    });
  });

  describe('relationOf', () => {
    it('tells friends, requests each way, blocked and strangers apart', async () => {
      await load({ friends: [friend(bob)], incoming: [request('r1', carol, me)], outgoing: [request('r2', me, dave)] });
      expect(sut.relationOf('u2').kind).toBe('friend');
      expect(sut.relationOf('u3')).toMatchObject({ kind: 'incoming', request: { id: 'r1' } });
      expect(sut.relationOf('u4')).toMatchObject({ kind: 'outgoing', request: { id: 'r2' } });
      expect(sut.relationOf('u9').kind).toBe('none');
    });

    it('puts a block above everything else', async () => {
      await load({ friends: [friend(bob)], blocked: [bob] });
      expect(sut.relationOf('u2').kind).toBe('blocked');
    });
  });

  describe('live events', () => {
    it('adds a request that arrives to the incoming list, and one sent from another device to the outgoing list', async () => {
      await load();
      realtime.serve('friend.request', request('r1', carol, me));
      realtime.serve('friend.request', request('r1', carol, me));
      realtime.serve('friend.request', request('r2', me, dave));
      expect(sut.incoming().map((item) => item.id)).toEqual(['r1']);
      expect(sut.outgoing().map((item) => item.id)).toEqual(['r2']);
      expect(sut.incomingCount()).toBe(1);
      expect(toasts.info.mock.calls).toEqual([['Carol wants to be your friend.']]);
    });

    it('turns an accepted request into a friend, in username order, and says they accepted', async () => {
      await load({ friends: [friend(carol)], outgoing: [request('r2', me, bob)] });
      realtime.serve('friend.accepted', friend(bob, 'On holiday'));
      expect(sut.outgoing()).toEqual([]);
      expect(sut.friends().map((item) => item.username)).toEqual(['bob', 'carol']);
      expect(sut.relationOf('u2').kind).toBe('friend');
      expect(toasts.info).toHaveBeenCalledWith('Bob accepted your friend request.');
    });

    it('says nothing more when the socket echoes an acceptance the user made', async () => {
      await load({ incoming: [request('r1', bob, me)] });
      const accepted = sut.accept(sut.incoming()[0]);
      (await next('POST', '/api/friends/requests/r1/accept')).flush(friend(bob));
      await accepted;
      realtime.serve('friend.accepted', friend(bob));
      expect(toasts.info.mock.calls).toEqual([['You and Bob are now friends.']]);
      expect(sut.friends()).toHaveLength(1);
    });

    it('follows presence, and forgets it while the socket is away', async () => {
      await load({ friends: [friend(bob)] });
      realtime.serve('presence', { userId: 'u2', online: true });
      expect(sut.isOnline('u2')).toBe(true);
      realtime.serve('presence', { userId: 'u2', online: false });
      expect(sut.isOnline('u2')).toBe(false);

      realtime.serve('presence', { userId: 'u2', online: true });
      realtime.status.set('connecting');
      TestBed.tick();
      expect(sut.isOnline('u2')).toBe(false);
    });

    it('reads only the incoming requests after a connect while the page was never opened (for the badge)', async () => {
      realtime.ready$.next({});
      (await next('GET', '/api/friends/requests', { direction: 'incoming' })).flush({ items: [request('r1', carol, me)], nextCursor: null });
      await vi.waitFor(() => expect(sut.incomingCount()).toBe(1));
      expect(sut.loaded()).toBe(false);
    });

    it('reads everything again after a reconnect once loaded, keeping the lists on screen', async () => {
      await load({ friends: [friend(bob)] });
      realtime.ready$.next({});
      expect(sut.loading()).toBe(false);
      expect(sut.friends()).toHaveLength(1);
      (await next('GET', '/api/friends')).flush({ items: [], nextCursor: null });
      (await next('GET', '/api/friends/requests', { direction: 'incoming' })).flush({ items: [], nextCursor: null });
      (await next('GET', '/api/friends/requests', { direction: 'outgoing' })).flush({ items: [], nextCursor: null });
      (await next('GET', '/api/blocks')).flush({ items: [], nextCursor: null });
      await vi.waitFor(() => expect(sut.friends()).toEqual([]));
    });
  });

  describe('actions', () => {
    it('sends a request and shows it as sent; the socket echo does not duplicate it', async () => {
      await load();
      const done = sut.sendRequest(bob);
      expect(sut.isBusy('u2')).toBe(true);
      const sent = await next('POST', '/api/friends/requests');
      expect(sent.request.body).toEqual({ userId: 'u2' });
      sent.flush({ status: 'pending', request: request('r5', me, bob), friend: null });
      expect(await done).toBe(true);
      realtime.serve('friend.request', request('r5', me, bob));
      expect(sut.outgoing().map((item) => item.id)).toEqual(['r5']);
      expect(sut.isBusy('u2')).toBe(false);
      expect(toasts.info).toHaveBeenCalledWith('Friend request sent to Bob.');
    });

    it('becomes friends at once when they had already asked', async () => {
      await load({ incoming: [request('r1', bob, me)] });
      const done = sut.sendRequest(bob);
      (await next('POST', '/api/friends/requests')).flush({ status: 'accepted', request: null, friend: friend(bob) });
      await done;
      expect(sut.incoming()).toEqual([]);
      expect(sut.relationOf('u2').kind).toBe('friend');
    });

    it('says in words why a request failed, and reads the lists again when they were out of date', async () => {
      await load();
      const done = sut.sendRequest(bob);
      (await next('POST', '/api/friends/requests')).flush(
        { statusCode: 409, error: 'Conflict', code: 'ALREADY_FRIENDS', message: 'You are already friends' },
        { status: 409, statusText: 'Conflict' },
      );
      expect(await done).toBe(false);
      expect(toasts.error).toHaveBeenCalledWith(expect.any(HttpErrorResponse));
      (await next('GET', '/api/friends')).flush({ items: [friend(bob)], nextCursor: null });
      (await next('GET', '/api/friends/requests', { direction: 'incoming' })).flush({ items: [], nextCursor: null });
      (await next('GET', '/api/friends/requests', { direction: 'outgoing' })).flush({ items: [], nextCursor: null });
      (await next('GET', '/api/blocks')).flush({ items: [], nextCursor: null });
      await vi.waitFor(() => expect(sut.relationOf('u2').kind).toBe('friend'));
    });

    it('accepts, declines and cancels requests', async () => {
      await load({ incoming: [request('r1', bob, me), request('r2', carol, me)], outgoing: [request('r3', me, dave)] });

      const accepted = sut.accept(sut.incoming()[0]);
      (await next('POST', '/api/friends/requests/r1/accept')).flush(friend(bob));
      await accepted;
      expect(sut.relationOf('u2').kind).toBe('friend');

      const declined = sut.decline(sut.incoming()[0]);
      (await next('POST', '/api/friends/requests/r2/decline')).flush(null, { status: 204, statusText: 'No Content' });
      await declined;
      expect(sut.incoming()).toEqual([]);

      const cancelled = sut.cancel(sut.outgoing()[0]);
      (await next('DELETE', '/api/friends/requests/r3')).flush(null, { status: 204, statusText: 'No Content' });
      await cancelled;
      expect(sut.outgoing()).toEqual([]);
      expect(sut.incomingCount()).toBe(0);
    });

    it('ignores a second click while the first is on its way', async () => {
      await load({ incoming: [request('r1', bob, me)] });
      const first = sut.accept(sut.incoming()[0]);
      expect(await sut.accept(sut.incoming()[0])).toBe(false);
      (await next('POST', '/api/friends/requests/r1/accept')).flush(friend(bob));
      expect(await first).toBe(true);
    });

    it('unfriends, and blocking ends the friendship and lists the user as blocked', async () => {
      await load({ friends: [friend(bob), friend(carol)] });
      realtime.serve('presence', { userId: 'u2', online: true });

      const unfriended = sut.unfriend(bob);
      (await next('DELETE', '/api/friends/u2')).flush(null, { status: 204, statusText: 'No Content' });
      await unfriended;
      expect(sut.friends().map((item) => item.id)).toEqual(['u3']);
      expect(sut.isOnline('u2')).toBe(false);

      const blocked = sut.block(carol);
      (await next('PUT', '/api/blocks/u3')).flush(null, { status: 204, statusText: 'No Content' });
      await blocked;
      expect(sut.friends()).toEqual([]);
      expect(sut.blocked().map((item) => item.user.id)).toEqual(['u3']);
      expect(sut.relationOf('u3').kind).toBe('blocked');

      const unblocked = sut.unblock(carol);
      (await next('DELETE', '/api/blocks/u3')).flush(null, { status: 204, statusText: 'No Content' });
      await unblocked;
      expect(sut.blocked()).toEqual([]);
      expect(sut.relationOf('u3').kind).toBe('none');
    });

    it('opens the conversation with a friend', async () => {
      const opened = sut.openConversation(bob);
      const open = await next('POST', '/api/conversations');
      expect(open.request.body).toEqual({ userId: 'u2', encrypted: true });
      open.flush({ id: 'c7' });
      expect(await opened).toBe('c7');
    });
  });

  it('starts empty for the next user who signs in', async () => {
    await load({ friends: [friend(bob)], incoming: [request('r1', carol, me)] });
    user.set(null);
    TestBed.tick();
    expect(sut.friends()).toEqual([]);
    expect(sut.incomingCount()).toBe(0);
    expect(sut.loaded()).toBe(false);
  });
});
