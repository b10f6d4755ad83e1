import { randomUUID } from 'node:crypto';
import { befriend, openConversation } from './helpers/friends.js';
import { bearer, register, uniqueUsername, type Registered } from './helpers/users.js';
import { createTestApp, testServerUrl, type TestApp } from './helpers/test-app.js';

const onPostgres = testServerUrl() ? it : it.skip;
const ISO = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

interface Named extends Registered {
  displayName: string;
}

/** How another user sees `user` in lists: the public summary. */
const summary = (user: Named) => ({ id: user.id, username: user.username, displayName: user.displayName, avatarVersion: null });

describe('friends (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const user = async (prefix: string): Promise<Named> => {
    const displayName = `${prefix[0].toUpperCase()}${prefix.slice(1)} ${randomUUID().slice(0, 4)}`;
    return { ...(await register(t.http, { username: uniqueUsername(prefix), displayName })), displayName };
  };

  const sendRequest = (from: Registered, to: { id: string } | string, body?: object) =>
    t.http
      .post('/api/friends/requests')
      .set(bearer(from.accessToken))
      .send(body ?? { userId: typeof to === 'string' ? to : to.id });
  const requests = (of: Registered, query: Record<string, string | number> = {}) =>
    t.http.get('/api/friends/requests').query(query).set(bearer(of.accessToken));
  const friends = (of: Registered, query: Record<string, string | number> = {}) =>
    t.http.get('/api/friends').query(query).set(bearer(of.accessToken));
  const accept = (as: Registered, requestId: string) => t.http.post(`/api/friends/requests/${requestId}/accept`).set(bearer(as.accessToken));
  const decline = (as: Registered, requestId: string) => t.http.post(`/api/friends/requests/${requestId}/decline`).set(bearer(as.accessToken));
  const cancel = (as: Registered, requestId: string) => t.http.delete(`/api/friends/requests/${requestId}`).set(bearer(as.accessToken));
  const unfriend = (as: Registered, other: Registered) => t.http.delete(`/api/friends/${other.id}`).set(bearer(as.accessToken));
  const block = (as: Registered, other: { id: string } | string) =>
    t.http.put(`/api/blocks/${typeof other === 'string' ? other : other.id}`).set(bearer(as.accessToken));
  const unblock = (as: Registered, other: Registered) => t.http.delete(`/api/blocks/${other.id}`).set(bearer(as.accessToken));
  const blocks = (of: Registered, query: Record<string, string | number> = {}) =>
    t.http.get('/api/blocks').query(query).set(bearer(of.accessToken));
  const searchIds = async (as: Registered, term: string): Promise<string[]> => {
    const res = await t.http.get('/api/users').query({ search: term }).set(bearer(as.accessToken)).expect(200);
    return res.body.items.map((u: { id: string }) => u.id);
  };
  const sendMessage = (as: Registered, conversationId: string, body = 'hello') =>
    t.http.post(`/api/conversations/${conversationId}/messages`).set(bearer(as.accessToken)).send({ clientId: randomUUID(), body });
  const history = (as: Registered, conversationId: string) =>
    t.http.get(`/api/conversations/${conversationId}/messages`).set(bearer(as.accessToken));

  /** Pending requests between a and b, either direction, as rows. */
  const pendingRows = (a: Registered, b: Registered): Promise<{ from_user_id: string; to_user_id: string }[]> =>
    t.db.query(
      `SELECT from_user_id, to_user_id FROM friend_requests
        WHERE (from_user_id = $1 AND to_user_id = $2) OR (from_user_id = $2 AND to_user_id = $1)`,
      [a.id, b.id],
    );
  /** Both directions of the friendship of a and b, as rows (2 when friends, 0 when not). */
  const friendshipRows = (a: Registered, b: Registered): Promise<{ user_id: string; friend_id: string }[]> =>
    t.db.query(
      `SELECT user_id, friend_id FROM friendships
        WHERE (user_id = $1 AND friend_id = $2) OR (user_id = $2 AND friend_id = $1)`,
      [a.id, b.id],
    );
  const requestsFrom = async (a: Registered): Promise<number> => {
    const [{ count }] = await t.db.query('SELECT count(*)::int AS count FROM friend_requests WHERE from_user_id = $1', [a.id]);
    return count;
  };
  const messageCount = async (conversationId: string): Promise<number> => {
    const [{ count }] = await t.db.query('SELECT count(*)::int AS count FROM messages WHERE conversation_id = $1', [conversationId]);
    return count;
  };

  /** Walks a cursor-paginated list one item at a time and returns every item id in order. */
  const walk = async (page: (query: Record<string, string | number>) => Promise<{ body: { items: unknown[]; nextCursor: string | null } }>, id: (item: never) => string) => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await page({ limit: 1, ...(cursor ? { cursor } : {}) });
      expect(res.body.items.length).toBeLessThanOrEqual(1);
      seen.push(...res.body.items.map((item) => id(item as never)));
      cursor = res.body.nextCursor ?? undefined;
      pages += 1;
      if (pages > 50) throw new Error('the cursor never ends');
    } while (cursor);
    return seen;
  };

  describe('friend requests', () => {
    it("sends a pending request (201) that shows in the recipient's incoming and the sender's outgoing list", async () => {
      const alice = await user('alice');
      const bob = await user('bob');

      const res = await sendRequest(alice, bob).expect(201);
      const request = { id: expect.any(String), from: summary(alice), to: summary(bob), createdAt: ISO };
      expect(res.body).toEqual({ status: 'pending', request, friend: null });
      const id: string = res.body.request.id;

      const incoming = await requests(bob, { direction: 'incoming' }).expect(200);
      expect(incoming.body).toEqual({ items: [{ ...request, id }], nextCursor: null });
      // incoming is the default direction
      expect((await requests(bob).expect(200)).body).toEqual(incoming.body);
      const outgoing = await requests(alice, { direction: 'outgoing' }).expect(200);
      expect(outgoing.body).toEqual({ items: [{ ...request, id }], nextCursor: null });

      expect((await requests(alice, { direction: 'incoming' }).expect(200)).body).toEqual({ items: [], nextCursor: null });
      expect((await requests(bob, { direction: 'outgoing' }).expect(200)).body).toEqual({ items: [], nextCursor: null });
      expect((await friends(alice).expect(200)).body.items).toEqual([]);
      expect(await pendingRows(alice, bob)).toEqual([{ from_user_id: alice.id, to_user_id: bob.id }]);
    });

    it('accepting makes both friends, with status message and friendsSince, and leaves no pending request', async () => {
      const alice = await user('alice');
      const bob = await user('bob');
      await t.http.patch('/api/users/me').set(bearer(bob.accessToken)).send({ statusMessage: 'On a boat' }).expect(200);
      const sent = await sendRequest(alice, bob).expect(201);

      const res = await accept(bob, sent.body.request.id).expect(200);
      expect(res.body).toEqual({ ...summary(alice), statusMessage: '', friendsSince: ISO });
      const since: string = res.body.friendsSince;

      expect((await friends(alice).expect(200)).body).toEqual({
        items: [{ ...summary(bob), statusMessage: 'On a boat', friendsSince: since }],
        nextCursor: null,
      });
      expect((await friends(bob).expect(200)).body).toEqual({
        items: [{ ...summary(alice), statusMessage: '', friendsSince: since }],
        nextCursor: null,
      });
      expect((await requests(bob).expect(200)).body.items).toEqual([]);
      expect((await requests(alice, { direction: 'outgoing' }).expect(200)).body.items).toEqual([]);
      expect(await pendingRows(alice, bob)).toEqual([]);
      expect(await friendshipRows(alice, bob)).toHaveLength(2);

      // accepting the same request again finds nothing to accept
      const again = await accept(bob, sent.body.request.id).expect(404);
      expect(again.body.code).toBe('FRIEND_REQUEST_NOT_FOUND');
    });

    it('a request to someone who already asked you accepts both (200 accepted) and leaves no pending request', async () => {
      const alice = await user('alice');
      const bob = await user('bob');
      await sendRequest(alice, bob).expect(201);

      const res = await sendRequest(bob, alice).expect(200);
      expect(res.body).toEqual({
        status: 'accepted',
        request: null,
        friend: { ...summary(alice), statusMessage: '', friendsSince: ISO },
      });
      expect(await pendingRows(alice, bob)).toEqual([]);
      expect(await friendshipRows(alice, bob)).toHaveLength(2);
      expect((await friends(alice).expect(200)).body.items.map((f: { id: string }) => f.id)).toEqual([bob.id]);
      expect((await friends(bob).expect(200)).body.items.map((f: { id: string }) => f.id)).toEqual([alice.id]);
      expect((await requests(alice).expect(200)).body.items).toEqual([]);
      expect((await requests(bob).expect(200)).body.items).toEqual([]);
    });

    it('only the recipient can decline; the sender gets 404 and the request stays', async () => {
      const alice = await user('alice');
      const bob = await user('bob');
      const id: string = (await sendRequest(alice, bob).expect(201)).body.request.id;

      const bySender = await decline(alice, id).expect(404);
      expect(bySender.body.code).toBe('FRIEND_REQUEST_NOT_FOUND');
      expect(await pendingRows(alice, bob)).toHaveLength(1);

      await decline(bob, id).expect(204);
      expect(await pendingRows(alice, bob)).toEqual([]);
      expect(await friendshipRows(alice, bob)).toEqual([]);
      expect((await requests(bob).expect(200)).body.items).toEqual([]);
      expect((await requests(alice, { direction: 'outgoing' }).expect(200)).body.items).toEqual([]);
      expect((await friends(bob).expect(200)).body.items).toEqual([]);

      const twice = await decline(bob, id).expect(404);
      expect(twice.body.code).toBe('FRIEND_REQUEST_NOT_FOUND');
      // a declined sender may ask again
      await sendRequest(alice, bob).expect(201);
    });

    it('only the sender can cancel; the recipient gets 404 and the request stays', async () => {
      const alice = await user('alice');
      const bob = await user('bob');
      const id: string = (await sendRequest(alice, bob).expect(201)).body.request.id;

      const byRecipient = await cancel(bob, id).expect(404);
      expect(byRecipient.body.code).toBe('FRIEND_REQUEST_NOT_FOUND');
      expect(await pendingRows(alice, bob)).toHaveLength(1);

      await cancel(alice, id).expect(204);
      expect(await pendingRows(alice, bob)).toEqual([]);
      expect((await requests(bob).expect(200)).body.items).toEqual([]);
      expect((await requests(alice, { direction: 'outgoing' }).expect(200)).body.items).toEqual([]);

      const twice = await cancel(alice, id).expect(404);
      expect(twice.body.code).toBe('FRIEND_REQUEST_NOT_FOUND');
      const acceptCancelled = await accept(bob, id).expect(404);
      expect(acceptCancelled.body.code).toBe('FRIEND_REQUEST_NOT_FOUND');
    });

    it('nobody but the recipient can accept: a third user and the sender get 404 and nothing changes', async () => {
      const alice = await user('alice');
      const bob = await user('bob');
      const mallory = await user('mallory');
      const id: string = (await sendRequest(alice, bob).expect(201)).body.request.id;

      for (const intruder of [mallory, alice]) {
        const res = await accept(intruder, id).expect(404);
        expect(res.body).toMatchObject({ statusCode: 404, code: 'FRIEND_REQUEST_NOT_FOUND' });
      }
      const byThird = await decline(mallory, id).expect(404);
      expect(byThird.body.code).toBe('FRIEND_REQUEST_NOT_FOUND');
      const cancelByThird = await cancel(mallory, id).expect(404);
      expect(cancelByThird.body.code).toBe('FRIEND_REQUEST_NOT_FOUND');

      expect(await pendingRows(alice, bob)).toEqual([{ from_user_id: alice.id, to_user_id: bob.id }]);
      const [{ count }] = await t.db.query(
        'SELECT count(*)::int AS count FROM friendships WHERE user_id = ANY($1::uuid[]) OR friend_id = ANY($1::uuid[])',
        [[alice.id, bob.id, mallory.id]],
      );
      expect(count).toBe(0);
    });

    it('answers 404 for an unknown request id and 400 INVALID_ID for a malformed one', async () => {
      const bob = await user('bob');
      for (const call of [accept, decline, cancel]) {
        const missing = await call(bob, UNKNOWN_ID).expect(404);
        expect(missing.body.code).toBe('FRIEND_REQUEST_NOT_FOUND');
        const malformed = await call(bob, 'not-a-uuid').expect(400);
        expect(malformed.body.code).toBe('INVALID_ID');
      }
    });

    it('refuses a second pending request to the same user with 409, keeping one row', async () => {
      const alice = await user('alice');
      const bob = await user('bob');
      await sendRequest(alice, bob).expect(201);

      const res = await sendRequest(alice, bob).expect(409);
      expect(res.body).toMatchObject({ statusCode: 409, code: 'REQUEST_ALREADY_SENT' });
      expect(await pendingRows(alice, bob)).toHaveLength(1);
      expect((await requests(bob).expect(200)).body.items).toHaveLength(1);
    });

    it('refuses a request to yourself', async () => {
      const alice = await user('alice');
      const res = await sendRequest(alice, alice).expect(400);
      expect(res.body.code).toBe('CANNOT_FRIEND_SELF');
      expect(await requestsFrom(alice)).toBe(0);
    });

    it('refuses a request to a friend, from either side', async () => {
      const alice = await user('alice');
      const bob = await user('bob');
      await befriend(t.http, alice, bob);

      for (const [from, to] of [
        [alice, bob],
        [bob, alice],
      ]) {
        const res = await sendRequest(from, to).expect(409);
        expect(res.body.code).toBe('ALREADY_FRIENDS');
      }
      expect(await pendingRows(alice, bob)).toEqual([]);
      expect(await friendshipRows(alice, bob)).toHaveLength(2);
    });

    it('refuses a request to an unknown user with 404', async () => {
      const alice = await user('alice');
      const res = await sendRequest(alice, UNKNOWN_ID).expect(404);
      expect(res.body.code).toBe('USER_NOT_FOUND');
      expect(await requestsFrom(alice)).toBe(0);
    });

    it.each([
      ['an extra field', (to: string) => ({ userId: to, message: 'hi' }), 'message'],
      ['a non-uuid userId', () => ({ userId: 'bob' }), 'userId'],
      ['a numeric userId', () => ({ userId: 42 }), 'userId'],
      ['no userId', () => ({}), 'userId'],
    ])('rejects a body with %s with 400 VALIDATION_FAILED and creates nothing', async (_case, body, field) => {
      const alice = await user('alice');
      const bob = await user('bob');
      const res = await sendRequest(alice, bob, body(bob.id)).expect(400);
      expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', details: [expect.objectContaining({ field })] });
      expect(await requestsFrom(alice)).toBe(0);
    });

    it('rejects an unknown direction', async () => {
      const alice = await user('alice');
      const res = await requests(alice, { direction: 'sideways' }).expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    });

    it('needs a token', async () => {
      await t.http.get('/api/friends').expect(401);
      await t.http.post('/api/friends/requests').send({ userId: UNKNOWN_ID }).expect(401);
      await t.http.get('/api/blocks').expect(401);
    });
  });

  describe('unfriend', () => {
    it('ends the friendship for both (204); unfriending again is 404 NOT_FRIENDS', async () => {
      const alice = await user('alice');
      const bob = await user('bob');
      await befriend(t.http, alice, bob);

      await unfriend(alice, bob).expect(204);
      expect((await friends(alice).expect(200)).body).toEqual({ items: [], nextCursor: null });
      expect((await friends(bob).expect(200)).body).toEqual({ items: [], nextCursor: null });
      expect(await friendshipRows(alice, bob)).toEqual([]);

      for (const [as, other] of [
        [alice, bob],
        [bob, alice],
      ]) {
        const res = await unfriend(as, other).expect(404);
        expect(res.body.code).toBe('NOT_FRIENDS');
      }
      // they may become friends again
      await befriend(t.http, bob, alice);
    });

    // PostgreSQL only: the lock is held on a second connection, which embedded PGlite does not have.
    onPostgres('waits for the pair lock that a send in flight holds, so no message can commit after it', async () => {
      const alice = await user('alice');
      const bob = await user('bob');
      await befriend(t.http, alice, bob);
      const runner = t.db.createQueryRunner();
      await runner.connect();
      await runner.startTransaction();
      try {
        await runner.query(`SELECT lock_pair($1, $2)`, [bob.id, alice.id]);
        let answered = false;
        const pending = unfriend(alice, bob).then((res) => {
          answered = true;
          return res;
        });
        const waitingOnAdvisoryLock = async () =>
          Number(
            (
              await runner.query(
                `SELECT count(*) AS n FROM pg_locks
                  WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
              )
            )[0].n,
          ) > 0;
        for (let polls = 0; !(await waitingOnAdvisoryLock()); polls++) {
          if (polls > 5000 || answered) throw new Error('the unfriend did not wait for the pair lock');
          await new Promise((resolve) => setImmediate(resolve));
        }
        expect(answered).toBe(false);
        expect(await friendshipRows(alice, bob)).toHaveLength(2);

        await runner.commitTransaction();
        expect((await pending).status).toBe(204);
        expect(await friendshipRows(alice, bob)).toEqual([]);
      } finally {
        if (runner.isTransactionActive) await runner.rollbackTransaction();
        await runner.release();
      }
    });

    it('keeps the conversation history readable but stops sending with 403 NOT_FRIENDS', async () => {
      const alice = await user('alice');
      const bob = await user('bob');
      await befriend(t.http, alice, bob);
      const conversationId = await openConversation(t.http, alice, bob);
      expect(await openConversation(t.http, bob, alice)).toBe(conversationId);
      await sendMessage(alice, conversationId, 'hi bob').expect(201);
      await sendMessage(bob, conversationId, 'hi alice').expect(201);

      await unfriend(bob, alice).expect(204);

      for (const as of [alice, bob]) {
        const res = await history(as, conversationId).expect(200);
        expect(res.body.items.map((m: { body: string }) => m.body)).toEqual(['hi bob', 'hi alice']);
        const send = await sendMessage(as, conversationId).expect(403);
        expect(send.body).toMatchObject({ statusCode: 403, code: 'NOT_FRIENDS' });
      }
      expect(await messageCount(conversationId)).toBe(2);
    });

    it('answers 404 NOT_FRIENDS to a non-friend and changes nothing, not even a pending request', async () => {
      const alice = await user('alice');
      const bob = await user('bob');
      await sendRequest(alice, bob).expect(201);

      const res = await unfriend(bob, alice).expect(404);
      expect(res.body.code).toBe('NOT_FRIENDS');
      expect(await pendingRows(alice, bob)).toEqual([{ from_user_id: alice.id, to_user_id: bob.id }]);
    });

    it('answers 400 INVALID_ID to a malformed id', async () => {
      const alice = await user('alice');
      const res = await t.http.delete('/api/friends/42').set(bearer(alice.accessToken)).expect(400);
      expect(res.body.code).toBe('INVALID_ID');
    });
  });

  describe('pagination', () => {
    it('walks the friends list one by one in username order, without repeats or gaps', async () => {
      const carol = await user('carol');
      const others = [await user('fa'), await user('fb'), await user('fc')];
      for (const other of others) await befriend(t.http, other, carol);

      const all = (await friends(carol, { limit: 100 }).expect(200)).body.items.map((f: { username: string }) => f.username);
      expect(all).toEqual(others.map((o) => o.username).sort());
      const seen = await walk((query) => friends(carol, query).expect(200), (f: { username: string }) => f.username);
      expect(seen).toEqual(all);
    });

    it('walks the incoming and outgoing request lists one by one, newest first, without repeats or gaps', async () => {
      const dave = await user('dave');
      const senders = [await user('ra'), await user('rb')];
      // two requests at the same instant (ties broken by id), then one later
      const incomingIds: string[] = [];
      for (const sender of senders) incomingIds.push((await sendRequest(sender, dave).expect(201)).body.request.id);
      t.clock.advance(1000);
      const late = await user('rc');
      const lateId: string = (await sendRequest(late, dave).expect(201)).body.request.id;

      const incoming = await walk((query) => requests(dave, { direction: 'incoming', ...query }).expect(200), (r: { id: string }) => r.id);
      expect(incoming).toHaveLength(3);
      expect(incoming[0]).toBe(lateId);
      expect(new Set(incoming)).toEqual(new Set([...incomingIds, lateId]));
      const all = (await requests(dave, { direction: 'incoming', limit: 100 }).expect(200)).body.items.map((r: { id: string }) => r.id);
      expect(incoming).toEqual(all);

      const targets = [await user('ta'), await user('tb'), await user('tc')];
      const outgoingIds: string[] = [];
      for (const target of targets) {
        outgoingIds.push((await sendRequest(dave, target).expect(201)).body.request.id);
        t.clock.advance(1000);
      }
      const outgoing = await walk((query) => requests(dave, { direction: 'outgoing', ...query }).expect(200), (r: { id: string }) => r.id);
      expect(outgoing).toEqual([...outgoingIds].reverse());
    });

    it.each([
      ['friends', '/api/friends'],
      ['friend requests', '/api/friends/requests'],
      ['blocks', '/api/blocks'],
    ])('rejects a garbage cursor on the %s list with 400 INVALID_CURSOR', async (_case, path) => {
      const alice = await user('alice');
      for (const cursor of ['not-a-cursor', Buffer.from('{"x":1}').toString('base64url'), Buffer.from('[]').toString('base64url')]) {
        const res = await t.http.get(path).query({ cursor }).set(bearer(alice.accessToken)).expect(400);
        expect(res.body.code).toBe('INVALID_CURSOR');
      }
    });

    it('rejects a limit outside 1–100', async () => {
      const alice = await user('alice');
      for (const limit of [0, 101, 'ten']) {
        const res = await friends(alice, { limit }).expect(400);
        expect(res.body.code).toBe('VALIDATION_FAILED');
      }
    });
  });

  describe('blocks', () => {
    it('PUT blocks (204, idempotent), ends the friendship and lists the blocked user', async () => {
      const alice = await user('alice');
      const bob = await user('bob');
      await befriend(t.http, alice, bob);

      await block(alice, bob).expect(204);
      await block(alice, bob).expect(204);

      const [{ count }] = await t.db.query('SELECT count(*)::int AS count FROM blocks WHERE blocker_id = $1 AND blocked_id = $2', [alice.id, bob.id]);
      expect(count).toBe(1);
      expect(await friendshipRows(alice, bob)).toEqual([]);
      expect((await friends(alice).expect(200)).body.items).toEqual([]);
      expect((await friends(bob).expect(200)).body.items).toEqual([]);
      expect((await blocks(alice).expect(200)).body).toEqual({ items: [{ user: summary(bob), blockedAt: ISO }], nextCursor: null });
      expect((await blocks(bob).expect(200)).body).toEqual({ items: [], nextCursor: null });
    });

    it.each([
      ['from the blocked user', (blocker: Registered, blocked: Registered) => [blocked, blocker]],
      ['to the blocked user', (blocker: Registered, blocked: Registered) => [blocker, blocked]],
    ])('removes a pending request %s', async (_case, direction) => {
      const alice = await user('alice');
      const bob = await user('bob');
      const [from, to] = direction(alice, bob);
      await sendRequest(from, to).expect(201);

      await block(alice, bob).expect(204);
      expect(await pendingRows(alice, bob)).toEqual([]);
      expect((await requests(alice, { direction: 'incoming' }).expect(200)).body.items).toEqual([]);
      expect((await requests(alice, { direction: 'outgoing' }).expect(200)).body.items).toEqual([]);
      expect((await requests(bob, { direction: 'incoming' }).expect(200)).body.items).toEqual([]);
      expect((await requests(bob, { direction: 'outgoing' }).expect(200)).body.items).toEqual([]);
    });

    it("hides the blocker from the blocked user's search and profile, but not the other way round", async () => {
      const alice = await user('alice');
      const bob = await user('bob');
      expect(await searchIds(bob, alice.username)).toContain(alice.id);

      await block(alice, bob).expect(204);

      expect(await searchIds(bob, alice.username)).not.toContain(alice.id);
      expect(await searchIds(bob, alice.displayName)).not.toContain(alice.id);
      const profile = await t.http.get(`/api/users/${alice.id}`).set(bearer(bob.accessToken)).expect(404);
      expect(profile.body.code).toBe('USER_NOT_FOUND');

      expect(await searchIds(alice, bob.username)).toContain(bob.id);
      await t.http.get(`/api/users/${bob.id}`).set(bearer(alice.accessToken)).expect(200);
    });

    it('stops friend requests both ways: 404 USER_NOT_FOUND for the blocked, 403 USER_BLOCKED for the blocker', async () => {
      const alice = await user('alice');
      const bob = await user('bob');
      await block(alice, bob).expect(204);

      const fromBlocked = await sendRequest(bob, alice).expect(404);
      expect(fromBlocked.body.code).toBe('USER_NOT_FOUND');
      const fromBlocker = await sendRequest(alice, bob).expect(403);
      expect(fromBlocker.body).toMatchObject({ statusCode: 403, code: 'USER_BLOCKED' });
      expect(await pendingRows(alice, bob)).toEqual([]);
    });

    it('makes the conversation read-only both ways with 403 BLOCKED, history still readable', async () => {
      const alice = await user('alice');
      const bob = await user('bob');
      await befriend(t.http, alice, bob);
      const conversationId = await openConversation(t.http, alice, bob);
      await sendMessage(alice, conversationId, 'first').expect(201);
      const bobs = await sendMessage(bob, conversationId, 'second').expect(201);
      const [before] = await t.db.query('SELECT * FROM conversations WHERE id = $1', [conversationId]);

      await block(alice, bob).expect(204);

      for (const as of [alice, bob]) {
        const send = await sendMessage(as, conversationId).expect(403);
        expect(send.body).toMatchObject({ statusCode: 403, code: 'BLOCKED' });
        const res = await history(as, conversationId).expect(200);
        expect(res.body.items.map((m: { body: string }) => m.body)).toEqual(['first', 'second']);
        const patch = await t.http
          .patch(`/api/conversations/${conversationId}`)
          .set(bearer(as.accessToken))
          .send({ defaultExpiresInSeconds: 60 })
          .expect(403);
        expect(patch.body.code).toBe('BLOCKED');
      }
      const edit = await t.http.patch(`/api/messages/${bobs.body.id}`).set(bearer(bob.accessToken)).send({ body: 'edited' }).expect(403);
      expect(edit.body.code).toBe('BLOCKED');

      expect(await messageCount(conversationId)).toBe(2);
      const [after] = await t.db.query('SELECT * FROM conversations WHERE id = $1', [conversationId]);
      expect(after).toEqual(before);
    });

    it('refuses to block yourself, an unknown user or a malformed id, and stores nothing', async () => {
      const alice = await user('alice');
      const self = await block(alice, alice).expect(400);
      expect(self.body.code).toBe('CANNOT_BLOCK_SELF');
      const unknown = await block(alice, UNKNOWN_ID).expect(404);
      expect(unknown.body.code).toBe('USER_NOT_FOUND');
      const malformed = await block(alice, 'nobody').expect(400);
      expect(malformed.body.code).toBe('INVALID_ID');
      const [{ count }] = await t.db.query('SELECT count(*)::int AS count FROM blocks WHERE blocker_id = $1', [alice.id]);
      expect(count).toBe(0);
    });

    it('DELETE unblocks (204, idempotent): search finds the blocker again, but the friendship is not restored', async () => {
      const alice = await user('alice');
      const bob = await user('bob');
      await befriend(t.http, alice, bob);
      const conversationId = await openConversation(t.http, bob, alice);
      await block(alice, bob).expect(204);

      await unblock(alice, bob).expect(204);
      await unblock(alice, bob).expect(204);

      const [{ count }] = await t.db.query('SELECT count(*)::int AS count FROM blocks WHERE blocker_id = $1', [alice.id]);
      expect(count).toBe(0);
      expect((await blocks(alice).expect(200)).body.items).toEqual([]);
      expect(await searchIds(bob, alice.username)).toContain(alice.id);
      await t.http.get(`/api/users/${alice.id}`).set(bearer(bob.accessToken)).expect(200);

      expect(await friendshipRows(alice, bob)).toEqual([]);
      expect((await friends(alice).expect(200)).body.items).toEqual([]);
      for (const as of [alice, bob]) {
        const send = await sendMessage(as, conversationId).expect(403);
        expect(send.body.code).toBe('NOT_FRIENDS');
      }
      // they may become friends again, and write again
      await befriend(t.http, bob, alice);
      await sendMessage(bob, conversationId, 'friends again').expect(201);
    });

    it('unblocking someone never blocked is a 204 that changes nothing', async () => {
      const alice = await user('alice');
      const bob = await user('bob');
      await unblock(alice, bob).expect(204);
      const malformed = await t.http.delete('/api/blocks/xyz').set(bearer(alice.accessToken)).expect(400);
      expect(malformed.body.code).toBe('INVALID_ID');
    });

    it('keeps the conversation read-only while either side still blocks', async () => {
      const alice = await user('alice');
      const bob = await user('bob');
      await befriend(t.http, alice, bob);
      const conversationId = await openConversation(t.http, alice, bob);
      await block(alice, bob).expect(204);
      await block(bob, alice).expect(204);

      await unblock(alice, bob).expect(204);

      for (const as of [alice, bob]) {
        const send = await sendMessage(as, conversationId).expect(403);
        expect(send.body.code).toBe('BLOCKED');
      }
      expect(await searchIds(alice, bob.username)).not.toContain(bob.id);
    });

    it('walks the blocks list one by one, newest first, without repeats or gaps', async () => {
      const alice = await user('alice');
      const targets = [await user('ba'), await user('bb'), await user('bc')];
      await block(alice, targets[0]).expect(204);
      await block(alice, targets[1]).expect(204);
      t.clock.advance(1000);
      await block(alice, targets[2]).expect(204);

      const seen = await walk((query) => blocks(alice, query).expect(200), (b: { user: { id: string } }) => b.user.id);
      expect(seen).toHaveLength(3);
      expect(seen[0]).toBe(targets[2].id);
      expect(new Set(seen)).toEqual(new Set(targets.map((b) => b.id)));
      const all = (await blocks(alice, { limit: 100 }).expect(200)).body.items.map((b: { user: { id: string } }) => b.user.id);
      expect(seen).toEqual(all);
    });
  });

  describe('concurrency', () => {
    it('two users asking each other at the same moment end up in one consistent state, never a 5xx', async () => {
      const pairs = await Promise.all(
        Array.from({ length: 5 }, async () => [await user('x'), await user('y')] as const),
      );
      await Promise.all(
        pairs.map(async ([a, b]) => {
          const [ab, ba] = await Promise.all([sendRequest(a, b), sendRequest(b, a)]);
          const statuses = [ab.status, ba.status].sort();
          expect(statuses.every((s) => s < 500)).toBe(true);

          const pending = await pendingRows(a, b);
          const friendship = await friendshipRows(a, b);
          if (friendship.length > 0) {
            // the second request saw the first and accepted it
            expect(friendship).toHaveLength(2);
            expect(pending).toEqual([]);
            expect(statuses).toEqual([200, 201]);
            const accepted = ab.status === 200 ? ab : ba;
            expect(accepted.body.status).toBe('accepted');
            expect((await friends(a).expect(200)).body.items.map((f: { id: string }) => f.id)).toEqual([b.id]);
            expect((await friends(b).expect(200)).body.items.map((f: { id: string }) => f.id)).toEqual([a.id]);
          } else {
            expect(pending).toHaveLength(1);
            expect(statuses.filter((s) => s === 201)).toHaveLength(1);
          }
        }),
      );
    });

    it('a request from the blocked user racing the block leaves no pending request and no way to befriend', async () => {
      const pairs = await Promise.all(Array.from({ length: 10 }, async () => [await user('x'), await user('y')] as const));
      await Promise.all(
        pairs.map(async ([blocker, blocked]) => {
          const [blockRes, requestRes] = await Promise.all([block(blocker, blocked), sendRequest(blocked, blocker)]);
          expect(blockRes.status).toBe(204);
          expect([201, 404]).toContain(requestRes.status);

          expect(await pendingRows(blocker, blocked)).toEqual([]);
          expect((await requests(blocker).expect(200)).body.items).toEqual([]);
          if (requestRes.status === 201) {
            // had it survived, the blocker could accept a friendship with someone they block
            await accept(blocker, requestRes.body.request.id).expect(404);
          }
          expect(await friendshipRows(blocker, blocked)).toEqual([]);
        }),
      );
    });

    it('the same request sent twice at once creates one row: one 201, one 409', async () => {
      const alice = await user('alice');
      const bob = await user('bob');
      const responses = await Promise.all([sendRequest(alice, bob), sendRequest(alice, bob)]);
      expect(responses.map((r) => r.status).sort()).toEqual([201, 409]);
      expect(responses.find((r) => r.status === 409)?.body.code).toBe('REQUEST_ALREADY_SENT');
      expect(await pendingRows(alice, bob)).toHaveLength(1);
    });
  });
});
