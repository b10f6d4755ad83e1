import { randomUUID } from 'node:crypto';
import { befriend, friendsInConversation, openConversation } from './helpers/friends.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';
import { bearer, PASSWORD, register, type Registered } from './helpers/users.js';

interface Message {
  id: string;
  seq: number;
  body: string | null;
  senderId: string;
  deleted: boolean;
  editedAt: string | null;
  expiresInSeconds: number | null;
  expiresAt: string | null;
  createdAt: string;
}

describe('messaging (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const send = (from: Registered, conversationId: string, body: string, extra: object = {}) =>
    t.http
      .post(`/api/conversations/${conversationId}/messages`)
      .set(bearer(from.accessToken))
      .send({ clientId: randomUUID(), body, ...extra });
  const history = (who: Registered, conversationId: string, query: Record<string, string | number> = {}) =>
    t.http.get(`/api/conversations/${conversationId}/messages`).query(query).set(bearer(who.accessToken));
  const conversation = async (who: Registered, conversationId: string) =>
    (await t.http.get(`/api/conversations/${conversationId}`).set(bearer(who.accessToken)).expect(200)).body;
  const read = (who: Registered, conversationId: string, messageId: string) =>
    t.http.post(`/api/conversations/${conversationId}/read`).set(bearer(who.accessToken)).send({ messageId });

  const pair = () => friendsInConversation(t.http);

  describe('a conversation between friends', () => {
    it('is opened once for the pair and carries messages both ways, oldest first', async () => {
      const alice = await register(t.http);
      const bob = await register(t.http);
      await befriend(t.http, alice, bob);
      const opened = await t.http.post('/api/conversations').set(bearer(alice.accessToken)).send({ userId: bob.id, encrypted: false }).expect(201);
      expect(opened.body).toMatchObject({ peer: { id: bob.id, username: bob.username }, lastMessage: null, unreadCount: 0 });
      const again = await t.http.post('/api/conversations').set(bearer(bob.accessToken)).send({ userId: alice.id }).expect(200);
      expect(again.body.id).toBe(opened.body.id);
      expect(again.body.peer.id).toBe(alice.id);

      const hello = (await send(alice, opened.body.id, '  hello bob  ').expect(201)).body;
      expect(hello).toMatchObject({ body: 'hello bob', seq: 1, senderId: alice.id, deleted: false, editedAt: null, expiresAt: null });
      await send(bob, opened.body.id, 'hi alice').expect(201);

      const page = (await history(bob, opened.body.id).expect(200)).body;
      expect(page.items.map((m: Message) => [m.seq, m.body])).toEqual([
        [1, 'hello bob'],
        [2, 'hi alice'],
      ]);
      expect(page.nextCursor).toBeNull();
      const rows = await t.db.query('SELECT count(*)::int AS n FROM conversations WHERE id = $1', [opened.body.id]);
      expect(rows[0].n).toBe(1);
    });

    it('pages back through 250 messages 50 at a time with no gaps or duplicates while new ones arrive', async () => {
      const { alice, bob, conversationId } = await pair();
      for (let i = 1; i <= 250; i++) await send(i % 2 ? alice : bob, conversationId, `message ${i}`).expect(201);

      const seen: number[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: Record<string, string | number> = cursor ? { limit: 50, before: cursor } : { limit: 50 };
        const res = await history(alice, conversationId, query).expect(200);
        seen.unshift(...res.body.items.map((m: Message) => m.seq));
        cursor = res.body.nextCursor;
        pages++;
        await send(bob, conversationId, `arrived during paging ${pages}`).expect(201);
      } while (cursor);

      expect(pages).toBe(5);
      expect(seen).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
      const newer = await history(alice, conversationId, { after: 250 }).expect(200);
      expect(newer.body.items.map((m: Message) => m.body)).toEqual([1, 2, 3, 4, 5].map((p) => `arrived during paging ${p}`));
      expect(newer.body.nextCursor).toBeNull();
      const forwardPage = await history(alice, conversationId, { after: 0, limit: 100 }).expect(200);
      expect(forwardPage.body.items[0].seq).toBe(1);
      expect(forwardPage.body.nextCursor).toBe('100');
    });

    it('needs friendship to open, and refuses yourself and unknown users', async () => {
      const alice = await register(t.http);
      const stranger = await register(t.http);
      const notFriends = await t.http.post('/api/conversations').set(bearer(alice.accessToken)).send({ userId: stranger.id }).expect(403);
      expect(notFriends.body.code).toBe('NOT_FRIENDS');
      const self = await t.http.post('/api/conversations').set(bearer(alice.accessToken)).send({ userId: alice.id }).expect(400);
      expect(self.body.code).toBe('CANNOT_CHAT_WITH_SELF');
      const unknown = await t.http.post('/api/conversations').set(bearer(alice.accessToken)).send({ userId: randomUUID() }).expect(404);
      expect(unknown.body.code).toBe('USER_NOT_FOUND');
      const rows = await t.db.query('SELECT 1 FROM conversation_members WHERE user_id = $1', [alice.id]);
      expect(rows).toHaveLength(0);
    });
  });

  describe('idempotent sending', () => {
    it('returns the original message for a retry and refuses a clientId reused for something else', async () => {
      const { alice, bob, conversationId } = await pair();
      const clientId = randomUUID();
      const first = await send(alice, conversationId, 'once', { clientId }).expect(201);
      const retry = await send(alice, conversationId, 'once', { clientId }).expect(200);
      expect(retry.body).toEqual(first.body);
      const changed = await send(alice, conversationId, 'twice', { clientId }).expect(409);
      expect(changed.body.code).toBe('CLIENT_ID_CONFLICT');
      const otherTimer = await send(alice, conversationId, 'once', { clientId, expiresInSeconds: 60 }).expect(409);
      expect(otherTimer.body.code).toBe('CLIENT_ID_CONFLICT');
      // A clientId belongs to its sender: bob may use the same one.
      await send(bob, conversationId, 'mine', { clientId }).expect(201);
      const rows = await t.db.query('SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1', [conversationId]);
      expect(rows[0].n).toBe(2);
    });

    it('creates exactly one row for 20 concurrent retries', async () => {
      const { alice, conversationId } = await pair();
      const clientId = randomUUID();
      const results = await Promise.all(Array.from({ length: 20 }, () => send(alice, conversationId, 'racing', { clientId })));
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([...Array(19).fill(200), 201]);
      expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
      const rows = await t.db.query('SELECT seq FROM messages WHERE sender_id = $1 AND client_id = $2', [alice.id, clientId]);
      expect(rows).toEqual([{ seq: 1 }]);
      // The losers rolled back their sequence number: the next message takes 2.
      expect((await send(alice, conversationId, 'next').expect(201)).body.seq).toBe(2);
    });
  });

  describe('bad input', () => {
    it.each([
      ['an empty body', { body: '   ' }],
      ['a body over 4,000 characters', { body: 'x'.repeat(4001) }],
      ['a clientId that is not a UUID', { clientId: 'abc' }],
      ['a timer under 5 s', { expiresInSeconds: 4 }],
      ['a timer over 4 weeks', { expiresInSeconds: 2_419_201 }],
      ['a fractional timer', { expiresInSeconds: 10.5 }],
      ['an unknown expiry mode', { expiresInSeconds: 60, expiryMode: 'never' }],
      ['an unknown field', { senderId: randomUUID() }],
    ])('refuses %s with 400 and stores nothing', async (_case, override) => {
      const { alice, conversationId } = await pair();
      const res = await t.http
        .post(`/api/conversations/${conversationId}/messages`)
        .set(bearer(alice.accessToken))
        .send({ clientId: randomUUID(), body: 'ok', ...override })
        .expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      const rows = await t.db.query('SELECT 1 FROM messages WHERE conversation_id = $1', [conversationId]);
      expect(rows).toHaveLength(0);
    });

    it('refuses an explicit null expiry mode and deeply nested JSON, even before signing in', async () => {
      const { alice, conversationId } = await pair();
      const nullMode = await send(alice, conversationId, 'x', { expiresInSeconds: 60, expiryMode: null }).expect(400);
      expect(nullMode.body.code).toBe('VALIDATION_FAILED');
      const nested = `{"username":${'['.repeat(2000)}${']'.repeat(2000)},"password":"x"}`;
      const res = await t.http.post('/api/auth/login').set('content-type', 'application/json').send(nested).expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    });

    it('accepts exactly 4,000 characters', async () => {
      const { alice, conversationId } = await pair();
      await send(alice, conversationId, 'y'.repeat(4000)).expect(201);
    });

    it('refuses before and after together, and malformed cursors', async () => {
      const { alice, conversationId } = await pair();
      expect((await history(alice, conversationId, { before: 5, after: 1 }).expect(400)).body.code).toBe('VALIDATION_FAILED');
      expect((await history(alice, conversationId, { before: 'x' }).expect(400)).body.code).toBe('VALIDATION_FAILED');
      expect((await history(alice, conversationId, { after: -1 }).expect(400)).body.code).toBe('VALIDATION_FAILED');
      expect((await history(alice, conversationId, { before: '99999999999' }).expect(400)).body.code).toBe('VALIDATION_FAILED');
      // History pages with before/after; a `cursor` would otherwise be silently ignored.
      expect((await history(alice, conversationId, { cursor: '5' }).expect(400)).body.code).toBe('VALIDATION_FAILED');
      const impossibleDate = Buffer.from(JSON.stringify({ t: '2024-02-30T00:00:00.000Z', id: randomUUID() })).toString('base64url');
      const list = await t.http.get('/api/conversations').query({ cursor: impossibleDate }).set(bearer(alice.accessToken)).expect(400);
      expect(list.body.code).toBe('INVALID_CURSOR');
      expect((await history(alice, conversationId, { before: 2 ** 31 - 1 }).expect(200)).body.items).toEqual([]);
    });
  });

  describe('someone outside the conversation', () => {
    it('gets 404 on every conversation and message route, and changes nothing', async () => {
      const { alice, bob, conversationId } = await pair();
      const charlie = await register(t.http);
      await befriend(t.http, charlie, alice);
      const message = (await send(alice, conversationId, 'private').expect(201)).body as Message;
      const as = bearer(charlie.accessToken);
      const attempts = [
        t.http.get(`/api/conversations/${conversationId}`).set(as),
        t.http.patch(`/api/conversations/${conversationId}`).set(as).send({ defaultExpiresInSeconds: 60 }),
        t.http.get(`/api/conversations/${conversationId}/messages`).set(as),
        t.http.post(`/api/conversations/${conversationId}/messages`).set(as).send({ clientId: randomUUID(), body: 'let me in' }),
        t.http.post(`/api/conversations/${conversationId}/read`).set(as).send({ messageId: message.id }),
        t.http.patch(`/api/messages/${message.id}`).set(as).send({ body: 'hacked' }),
        t.http.delete(`/api/messages/${message.id}`).set(as),
      ];
      // Reusing one of charlie's own clientIds must not turn the 404 into a 409.
      const own = await openConversation(t.http, charlie, alice);
      const ownClientId = (await send(charlie, own, 'mine').expect(201)).body.clientId;
      attempts.push(t.http.post(`/api/conversations/${conversationId}/messages`).set(as).send({ clientId: ownClientId, body: 'mine' }));
      for (const attempt of attempts) {
        const res = await attempt;
        expect(res.status).toBe(404);
        expect(['CONVERSATION_NOT_FOUND', 'MESSAGE_NOT_FOUND']).toContain(res.body.code);
      }
      const list = await t.http.get('/api/conversations').set(as).expect(200);
      expect(list.body.items.map((c: { id: string }) => c.id)).not.toContain(conversationId);
      const [row] = await t.db.query('SELECT body, deleted_at FROM messages WHERE id = $1', [message.id]);
      expect(row).toEqual({ body: 'private', deleted_at: null });
      expect((await conversation(bob, conversationId)).defaultExpiresInSeconds).toBeNull();
      expect((await conversation(bob, conversationId)).unreadCount).toBe(1);
    });
  });

  describe('editing and deleting', () => {
    it('lets only the sender edit, marks the edit, and refuses editing a deleted message', async () => {
      const { alice, bob, conversationId } = await pair();
      const message = (await send(alice, conversationId, 'typo').expect(201)).body as Message;
      const byBob = await t.http.patch(`/api/messages/${message.id}`).set(bearer(bob.accessToken)).send({ body: 'nope' }).expect(403);
      expect(byBob.body.code).toBe('NOT_MESSAGE_SENDER');
      t.clock.advance(5_000);
      const edited = await t.http.patch(`/api/messages/${message.id}`).set(bearer(alice.accessToken)).send({ body: ' fixed ' }).expect(200);
      expect(edited.body).toMatchObject({ id: message.id, seq: message.seq, body: 'fixed', editedAt: expect.any(String) });
      expect(new Date(edited.body.editedAt).getTime()).toBeGreaterThan(new Date(message.createdAt).getTime());
      expect((await history(bob, conversationId).expect(200)).body.items[0].body).toBe('fixed');

      await t.http.delete(`/api/messages/${message.id}`).set(bearer(bob.accessToken)).expect(403);
      await t.http.delete(`/api/messages/${message.id}`).set(bearer(alice.accessToken)).expect(204);
      await t.http.delete(`/api/messages/${message.id}`).set(bearer(alice.accessToken)).expect(204);
      const after = await t.http.patch(`/api/messages/${message.id}`).set(bearer(alice.accessToken)).send({ body: 'back' }).expect(409);
      expect(after.body.code).toBe('MESSAGE_NOT_EDITABLE');
    });

    it('leaves a tombstone with no content for everyone, not counted as unread', async () => {
      const { alice, bob, conversationId } = await pair();
      const message = (await send(alice, conversationId, 'regret').expect(201)).body as Message;
      expect((await conversation(bob, conversationId)).unreadCount).toBe(1);
      await t.http.delete(`/api/messages/${message.id}`).set(bearer(alice.accessToken)).expect(204);
      const [tombstone] = (await history(bob, conversationId).expect(200)).body.items;
      expect(tombstone).toMatchObject({ id: message.id, deleted: true, body: null });
      const view = await conversation(bob, conversationId);
      expect(view.lastMessage).toMatchObject({ id: message.id, deleted: true, body: null });
      expect(view.unreadCount).toBe(0);
      const [row] = await t.db.query('SELECT body FROM messages WHERE id = $1', [message.id]);
      expect(row.body).toBeNull();
    });
  });

  describe('read state', () => {
    it('counts the peer’s messages after the read marker, which never moves back', async () => {
      const { alice, bob, conversationId } = await pair();
      const sent: Message[] = [];
      for (const body of ['one', 'two', 'three']) sent.push((await send(alice, conversationId, body).expect(201)).body);
      await send(bob, conversationId, 'my own').expect(201);
      expect((await conversation(bob, conversationId)).unreadCount).toBe(3);
      expect((await conversation(alice, conversationId)).unreadCount).toBe(1);

      await read(bob, conversationId, sent[1].id).expect(204);
      expect((await conversation(bob, conversationId)).unreadCount).toBe(1);
      await read(bob, conversationId, sent[2].id).expect(204);
      await read(bob, conversationId, sent[0].id).expect(204);
      expect((await conversation(bob, conversationId)).unreadCount).toBe(0);
      expect((await conversation(alice, conversationId)).unreadCount).toBe(1);
    });

    it("gives each member the peer's read marker, in the list and in the conversation, for \"Seen\" after a reload", async () => {
      const { alice, bob, conversationId } = await pair();
      expect(await conversation(alice, conversationId)).toMatchObject({ peerLastReadSeq: 0 });
      const first = (await send(alice, conversationId, 'one').expect(201)).body as Message;
      const second = (await send(alice, conversationId, 'two').expect(201)).body as Message;
      await read(bob, conversationId, first.id).expect(204);
      expect(await conversation(alice, conversationId)).toMatchObject({ peerLastReadSeq: first.seq });
      expect(await conversation(bob, conversationId)).toMatchObject({ peerLastReadSeq: 0 });

      await read(bob, conversationId, second.id).expect(204);
      const listed = (await t.http.get('/api/conversations').set(bearer(alice.accessToken)).expect(200)).body;
      expect(listed.items).toEqual([expect.objectContaining({ id: conversationId, peerLastReadSeq: second.seq })]);
      const reply = (await send(bob, conversationId, 'three').expect(201)).body as Message;
      await read(alice, conversationId, reply.id).expect(204);
      const bobsList = (await t.http.get('/api/conversations').set(bearer(bob.accessToken)).expect(200)).body;
      expect(bobsList.items).toEqual([expect.objectContaining({ id: conversationId, peerLastReadSeq: reply.seq })]);
      expect(await conversation(alice, conversationId)).toMatchObject({ peerLastReadSeq: second.seq });

      await t.http.delete('/api/users/me').set(bearer(bob.accessToken)).send({ password: PASSWORD }).expect(200);
      expect(await conversation(alice, conversationId)).toMatchObject({ peer: null, peerLastReadSeq: null });
    });

    it('refuses a message of another conversation', async () => {
      const first = await pair();
      const second = await pair();
      const elsewhere = (await send(second.alice, second.conversationId, 'elsewhere').expect(201)).body;
      const res = await read(first.alice, first.conversationId, elsewhere.id).expect(404);
      expect(res.body.code).toBe('MESSAGE_NOT_FOUND');
      expect((await read(first.alice, first.conversationId, 'nope').expect(400)).body.code).toBe('VALIDATION_FAILED');
    });
  });

  describe('the conversation list', () => {
    it('orders by latest activity, pages with a cursor and shows each last message', async () => {
      const me = await register(t.http);
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const friend = await register(t.http);
        await befriend(t.http, me, friend);
        const id = await openConversation(t.http, me, friend);
        t.clock.advance(1000);
        await send(friend, id, `from friend ${i}`).expect(201);
        ids.push(id);
      }
      t.clock.advance(1000);
      await send(me, ids[0], 'bump the first').expect(201);

      const all = (await t.http.get('/api/conversations').set(bearer(me.accessToken)).expect(200)).body;
      expect(all.items.map((c: { id: string }) => c.id)).toEqual([ids[0], ids[2], ids[1]]);
      expect(all.items[0]).toMatchObject({ lastMessage: { body: 'bump the first' }, unreadCount: 1 });
      expect(all.items[1]).toMatchObject({ lastMessage: { body: 'from friend 2' }, unreadCount: 1 });

      const walked: string[] = [];
      let cursor: string | undefined;
      do {
        const res = await t.http
          .get('/api/conversations')
          .query({ limit: 1, ...(cursor ? { cursor } : {}) })
          .set(bearer(me.accessToken))
          .expect(200);
        walked.push(...res.body.items.map((c: { id: string }) => c.id));
        cursor = res.body.nextCursor ?? undefined;
      } while (cursor);
      expect(walked).toEqual([ids[0], ids[2], ids[1]]);
    });
  });

  describe('prepared statements', () => {
    it('keep serving history, the list and sends after a newer instance adds a column to messages', async () => {
      const { alice, bob, conversationId } = await pair();
      await send(alice, conversationId, 'before the migration').expect(201);
      // Each statement is now prepared on the pool's connections.
      await history(bob, conversationId).expect(200);
      await t.http.get('/api/conversations').set(bearer(bob.accessToken)).expect(200);
      await t.db.query('ALTER TABLE messages ADD COLUMN newer_instance_column integer');
      try {
        await send(alice, conversationId, 'after the migration').expect(201);
        const page = await history(bob, conversationId).expect(200);
        expect(page.body.items.map((item: Message) => item.body)).toEqual(['before the migration', 'after the migration']);
        const list = await t.http.get('/api/conversations').set(bearer(bob.accessToken)).expect(200);
        expect(list.body.items[0].lastMessage.body).toBe('after the migration');
      } finally {
        await t.db.query('ALTER TABLE messages DROP COLUMN newer_instance_column');
      }
    });
  });

  describe('the default timer', () => {
    it('applies to messages sent after it is set, unless a message chooses otherwise', async () => {
      const { alice, bob, conversationId } = await pair();
      const before = (await send(alice, conversationId, 'before').expect(201)).body as Message;
      const patched = await t.http
        .patch(`/api/conversations/${conversationId}`)
        .set(bearer(bob.accessToken))
        .send({ defaultExpiresInSeconds: 3600 })
        .expect(200);
      expect(patched.body).toMatchObject({ defaultExpiresInSeconds: 3600, defaultExpiryMode: 'afterSend' });

      const timed = (await send(alice, conversationId, 'timed').expect(201)).body as Message;
      expect(timed.expiresInSeconds).toBe(3600);
      expect(new Date(timed.expiresAt!).getTime() - new Date(timed.createdAt).getTime()).toBe(3_600_000);
      const untimed = (await send(alice, conversationId, 'no timer', { expiresInSeconds: null }).expect(201)).body as Message;
      expect(untimed).toMatchObject({ expiresInSeconds: null, expiryMode: null, expiresAt: null });
      const [{ expires_at }] = await t.db.query('SELECT expires_at FROM messages WHERE id = $1', [before.id]);
      expect(expires_at).toBeNull();

      // Changing only the mode keeps the timer someone else set.
      const modeOnly = await t.http
        .patch(`/api/conversations/${conversationId}`)
        .set(bearer(alice.accessToken))
        .send({ defaultExpiryMode: 'afterRead' })
        .expect(200);
      expect(modeOnly.body).toMatchObject({ defaultExpiresInSeconds: 3600, defaultExpiryMode: 'afterRead' });
      await t.http.patch(`/api/conversations/${conversationId}`).set(bearer(alice.accessToken)).send({ defaultExpiresInSeconds: null }).expect(200);
      expect((await send(alice, conversationId, 'off again').expect(201)).body.expiresInSeconds).toBeNull();
      const bad = await t.http.patch(`/api/conversations/${conversationId}`).set(bearer(alice.accessToken)).send({ defaultExpiresInSeconds: 1 }).expect(400);
      expect(bad.body.code).toBe('VALIDATION_FAILED');
    });

    // The rules live in the send_message SQL function; each row is one send into a conversation with that default.
    it.each([
      ['no default, none chosen', null, 'afterSend', {}, { expiresInSeconds: null, expiryMode: null, lifetime: null }],
      ['no default, 30 s chosen', null, 'afterSend', { expiresInSeconds: 30 }, { expiresInSeconds: 30, expiryMode: 'afterSend', lifetime: 30_000 }],
      ['no default, 30 s after read', null, 'afterSend', { expiresInSeconds: 30, expiryMode: 'afterRead' }, { expiresInSeconds: 30, expiryMode: 'afterRead', lifetime: null }],
      ['1 h default, left out', 3600, 'afterSend', {}, { expiresInSeconds: 3600, expiryMode: 'afterSend', lifetime: 3_600_000 }],
      ['1 h default, null chosen', 3600, 'afterSend', { expiresInSeconds: null, expiryMode: 'afterSend' }, { expiresInSeconds: null, expiryMode: null, lifetime: null }],
      ['1 h default, 30 s chosen takes the default mode', 3600, 'afterSend', { expiresInSeconds: 30 }, { expiresInSeconds: 30, expiryMode: 'afterSend', lifetime: 30_000 }],
      ['1 h after-read default, left out', 3600, 'afterRead', {}, { expiresInSeconds: 3600, expiryMode: 'afterRead', lifetime: null }],
      ['1 h after-read default, 60 s after send chosen', 3600, 'afterRead', { expiresInSeconds: 60, expiryMode: 'afterSend' }, { expiresInSeconds: 60, expiryMode: 'afterSend', lifetime: 60_000 }],
      ['1 h after-read default, mode only', 3600, 'afterRead', { expiryMode: 'afterSend' }, { expiresInSeconds: 3600, expiryMode: 'afterSend', lifetime: 3_600_000 }],
    ])('%s', async (_, defaultExpiresInSeconds, defaultExpiryMode, choice, expected) => {
      const { alice, bob, conversationId } = await pair();
      if (defaultExpiresInSeconds !== null) {
        await t.http.patch(`/api/conversations/${conversationId}`).set(bearer(bob.accessToken)).send({ defaultExpiresInSeconds, defaultExpiryMode }).expect(200);
      }
      const sent = (await send(alice, conversationId, 'timed?', choice).expect(201)).body as Message & { expiryMode: string | null };
      const [stored] = await t.db.query('SELECT expires_in_seconds, expiry_mode, expires_at, created_at FROM messages WHERE id = $1', [sent.id]);

      expect(sent).toMatchObject({ expiresInSeconds: expected.expiresInSeconds, expiryMode: expected.expiryMode });
      expect(stored).toMatchObject({ expires_in_seconds: expected.expiresInSeconds, expiry_mode: expected.expiryMode });
      const lifetime = stored.expires_at === null ? null : stored.expires_at.getTime() - stored.created_at.getTime();
      expect(lifetime).toBe(expected.lifetime);
      expect(sent.expiresAt === null ? null : new Date(sent.expiresAt).getTime() - new Date(sent.createdAt).getTime()).toBe(expected.lifetime);
    });
  });
});
