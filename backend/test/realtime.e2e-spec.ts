import { randomUUID } from 'node:crypto';
import { ExpiryService } from '../src/messages/expiry.service.js';
import { RealtimeGateway } from '../src/realtime/realtime.gateway.js';
import { befriend, friendsInConversation, openConversation } from './helpers/friends.js';
import { closeSockets, connect, type Received, refusal } from './helpers/sockets.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';
import { bearer, PASSWORD, register, type Registered } from './helpers/users.js';

interface Message {
  id: string;
  conversationId: string;
  seq: number;
  clientId: string;
  body: string | null;
}
interface Presence {
  userId: string;
  online: boolean;
}
interface Typing {
  conversationId: string;
  userId: string;
  expiresAt: string;
  ttlSeconds: number;
}
interface Ack {
  ok: boolean;
  code?: string;
  message?: string;
}
interface SocketError {
  code: string;
  message: string;
  event?: string;
  retryAfterSeconds?: number;
}

const SECOND = 1000;
const ACCESS_TOKEN_MS = 900 * SECOND;

const inConversation = (conversationId: string) => (r: Received) => (r.data as { conversationId?: string }).conversationId === conversationId;
const presenceOf = (userId: string, online?: boolean) => (p: Presence) => p.userId === userId && (online === undefined || p.online === online);

describe('real time (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterEach(() => closeSockets());
  afterAll(() => t.close());

  const send = (from: Registered, conversationId: string, body: string, extra: object = {}) =>
    t.http.post(`/api/conversations/${conversationId}/messages`).set(bearer(from.accessToken)).send({ clientId: randomUUID(), body, ...extra });
  /** Another device of the same user: a second session. */
  const signIn = async (user: Registered): Promise<Registered> => {
    const res = await t.http.post('/api/auth/login').send({ username: user.username, password: PASSWORD }).expect(200);
    return { ...user, accessToken: res.body.accessToken, refreshToken: res.body.refreshToken };
  };
  const gateway = () => t.app.get(RealtimeGateway);

  const pair = () => friendsInConversation(t.http);

  describe('message events', () => {
    it("delivers alice's message to bob's socket and her other device once her REST send returns; charlie gets nothing of it", async () => {
      const { alice, bob, conversationId } = await pair();
      const charlie = await register(t.http);
      await befriend(t.http, alice, charlie);
      const withCharlie = await openConversation(t.http, alice, charlie);
      const bobSocket = await connect(t, bob.accessToken);
      const aliceLaptop = await connect(t, (await signIn(alice)).accessToken);
      const charlieSocket = await connect(t, charlie.accessToken);

      const sent = (await send(alice, conversationId, 'hello bob').expect(201)).body as Message;

      expect(await bobSocket.waitFor<Message>('message.created', (m) => m.id === sent.id)).toEqual(sent);
      expect(await aliceLaptop.waitFor<Message>('message.created', (m) => m.id === sent.id)).toEqual(sent);
      const toCharlie = (await send(alice, withCharlie, 'hello charlie').expect(201)).body as Message;
      const charlieBefore = await charlieSocket.receivedBefore<Message>('message.created', (m) => m.id === toCharlie.id);
      expect(charlieBefore.filter(inConversation(conversationId))).toEqual([]);
      expect(bobSocket.received.filter(inConversation(withCharlie))).toEqual([]);
    });

    it("sends no message.created to the socket named in X-Socket-Id when it is the sender's, but to the sender's other sockets and the peer", async () => {
      const { alice, bob, conversationId } = await pair();
      const alicePhone = await connect(t, alice.accessToken);
      const aliceOtherTab = await connect(t, alice.accessToken);
      const aliceLaptop = await connect(t, (await signIn(alice)).accessToken);
      const bobSocket = await connect(t, bob.accessToken);
      const phoneId = alicePhone.socket.id!;

      const sent = (await send(alice, conversationId, 'not back to the phone').set('x-socket-id', phoneId).expect(201)).body as Message;
      for (const socket of [aliceOtherTab, aliceLaptop, bobSocket]) expect(await socket.waitFor<Message>('message.created', (m) => m.id === sent.id)).toEqual(sent);
      // Events reach a socket in the order they were sent: bob's reply comes after alice's message would have.
      const reply = (await send(bob, conversationId, 'reply').expect(201)).body as Message;
      const phoneBefore = await alicePhone.receivedBefore<Message>('message.created', (m) => m.id === reply.id);
      expect(phoneBefore.filter((r) => (r.data as Message).id === sent.id)).toEqual([]);

      // Naming someone else's socket, or one that does not exist, keeps nothing from anyone.
      const fromBob = (await send(bob, conversationId, 'naming her phone').set('x-socket-id', phoneId).expect(201)).body as Message;
      expect(await alicePhone.waitFor<Message>('message.created', (m) => m.id === fromBob.id)).toEqual(fromBob);
      expect(await bobSocket.waitFor<Message>('message.created', (m) => m.id === fromBob.id)).toEqual(fromBob);
      const unknown = (await send(alice, conversationId, 'unknown socket').set('x-socket-id', 'no-such-socket').expect(201)).body as Message;
      expect(await alicePhone.waitFor<Message>('message.created', (m) => m.id === unknown.id)).toEqual(unknown);
    });

    it('sends edits, deletions (as the tombstone) and read receipts to both members with the REST shapes', async () => {
      const { alice, bob, conversationId } = await pair();
      const aliceSocket = await connect(t, alice.accessToken);
      const bobSocket = await connect(t, bob.accessToken);
      const bobPhone = await connect(t, (await signIn(bob)).accessToken);
      const message = (await send(alice, conversationId, 'first draft').expect(201)).body as Message;

      const edited = (await t.http.patch(`/api/messages/${message.id}`).set(bearer(alice.accessToken)).send({ body: 'final' }).expect(200)).body;
      for (const socket of [aliceSocket, bobSocket]) expect(await socket.waitFor('message.updated')).toEqual(edited);

      t.clock.advance(SECOND);
      await t.http.post(`/api/conversations/${conversationId}/read`).set(bearer(bob.accessToken)).send({ messageId: message.id }).expect(204);
      const receipt = { conversationId, userId: bob.id, messageId: message.id, seq: message.seq, readAt: t.clock.now().toISOString() };
      for (const socket of [aliceSocket, bobSocket, bobPhone]) expect(await socket.waitFor('conversation.read')).toEqual(receipt);

      await t.http.delete(`/api/messages/${message.id}`).set(bearer(alice.accessToken)).expect(204);
      const history = (await t.http.get(`/api/conversations/${conversationId}/messages`).set(bearer(bob.accessToken)).expect(200)).body;
      const tombstone = history.items[0];
      expect(tombstone).toMatchObject({ id: message.id, deleted: true, body: null });
      for (const socket of [aliceSocket, bobSocket]) expect(await socket.waitFor('message.deleted')).toEqual(tombstone);
    });

    it('tells both members when one changes the default timer, and nothing for an empty change', async () => {
      const { alice, bob, conversationId } = await pair();
      const aliceSocket = await connect(t, alice.accessToken);
      const bobSocket = await connect(t, bob.accessToken);
      const patch = (body: object) => t.http.patch(`/api/conversations/${conversationId}`).set(bearer(alice.accessToken)).send(body).expect(200);

      await patch({});
      await patch({ defaultExpiresInSeconds: 300, defaultExpiryMode: 'afterRead' });
      const event = { conversationId, userId: alice.id, defaultExpiresInSeconds: 300, defaultExpiryMode: 'afterRead', encrypted: false };
      for (const socket of [aliceSocket, bobSocket]) expect(await socket.waitFor('conversation.updated')).toEqual(event);
      await patch({ defaultExpiresInSeconds: null });
      expect(await bobSocket.waitFor('conversation.updated', (e: { defaultExpiresInSeconds: number | null }) => e.defaultExpiresInSeconds === null)).toEqual({
        ...event,
        defaultExpiresInSeconds: null,
      });
      expect(bobSocket.received.filter((r) => r.event === 'conversation.updated')).toHaveLength(2);
    });

    it('sends conversation.read only when the read marker moved', async () => {
      const { alice, bob, conversationId } = await pair();
      const aliceSocket = await connect(t, alice.accessToken);
      const first = (await send(alice, conversationId, 'one').expect(201)).body as Message;
      const second = (await send(alice, conversationId, 'two').expect(201)).body as Message;
      const read = (messageId: string) =>
        t.http.post(`/api/conversations/${conversationId}/read`).set(bearer(bob.accessToken)).send({ messageId }).expect(204);

      await read(second.id);
      await read(second.id);
      await read(first.id);
      await send(alice, conversationId, 'marker').expect(201);

      const before = await aliceSocket.receivedBefore<Message>('message.created', (m) => m.body === 'marker');
      expect(before.filter((r) => r.event === 'conversation.read').map((r) => r.data)).toEqual([
        expect.objectContaining({ messageId: second.id, seq: 2 }),
      ]);
    });

    it('sends nothing for a retried send, for the losers of concurrent retries, or for a send refused inside its transaction', async () => {
      const { alice, bob, conversationId } = await pair();
      const bobSocket = await connect(t, bob.accessToken);
      const clientId = randomUUID();
      const original = (await send(alice, conversationId, 'once', { clientId }).expect(201)).body as Message;
      await send(alice, conversationId, 'once', { clientId }).expect(200);
      // Nineteen of these roll back their transaction (the clientId is taken); only the winner is announced.
      const racing = randomUUID();
      const statuses = (await Promise.all(Array.from({ length: 20 }, () => send(alice, conversationId, 'racing', { clientId: racing })))).map(
        (res) => res.status,
      );
      expect(statuses.filter((status) => status === 201)).toHaveLength(1);
      // The block is checked under the pair lock inside the send transaction, which rolls back.
      await t.http.put(`/api/blocks/${alice.id}`).set(bearer(bob.accessToken)).expect(204);
      expect((await send(alice, conversationId, 'after the block').expect(403)).body.code).toBe('BLOCKED');
      await t.http.delete(`/api/messages/${original.id}`).set(bearer(alice.accessToken)).expect(204);

      const before = await bobSocket.receivedBefore<Message>('message.deleted', (m) => m.id === original.id);
      expect(before.filter((r) => r.event === 'message.created').map((r) => (r.data as Message).body)).toEqual(['once', 'racing']);
    });

    it('tells both members which messages the sweep deleted', async () => {
      const { alice, bob, conversationId } = await pair();
      const aliceSocket = await connect(t, alice.accessToken);
      const bobSocket = await connect(t, bob.accessToken);
      const timed = (await send(alice, conversationId, 'gone soon', { expiresInSeconds: 5 }).expect(201)).body as Message;
      await send(alice, conversationId, 'stays').expect(201);

      t.clock.advance(5 * SECOND);
      await t.app.get(ExpiryService).sweep();

      const expired = { conversationId, messageIds: [timed.id] };
      for (const socket of [aliceSocket, bobSocket]) expect(await socket.waitFor('message.expired', inConversationData(conversationId))).toEqual(expired);
    });
  });

  describe('catching up after a reconnect', () => {
    it('gets what was missed with after=<newest seq> and everything later live, with no gap', async () => {
      const { alice, bob, conversationId } = await pair();
      let bobSocket = await connect(t, bob.accessToken);
      await send(alice, conversationId, 'seen live').expect(201);
      const newest = (await bobSocket.waitFor<Message>('message.created')).seq;
      bobSocket.close();

      for (const body of ['missed 1', 'missed 2', 'missed 3']) await send(alice, conversationId, body).expect(201);
      bobSocket = await connect(t, bob.accessToken);
      const caughtUp: string[] = [];
      let after = String(newest);
      for (;;) {
        const page = (
          await t.http.get(`/api/conversations/${conversationId}/messages`).query({ after, limit: 2 }).set(bearer(bob.accessToken)).expect(200)
        ).body;
        caughtUp.push(...page.items.map((m: Message) => m.body));
        if (!page.nextCursor) break;
        after = page.nextCursor;
      }
      await send(alice, conversationId, 'live again').expect(201);

      expect(caughtUp).toEqual(['missed 1', 'missed 2', 'missed 3']);
      expect((await bobSocket.waitFor<Message>('message.created')).body).toBe('live again');
    });
  });

  describe('friend events', () => {
    it('sends a request to the recipient and the sender’s devices, and the acceptance to both with each other as a friend', async () => {
      const alice = await register(t.http);
      const bob = await register(t.http);
      const aliceSocket = await connect(t, alice.accessToken);
      const bobSocket = await connect(t, bob.accessToken);

      const sent = (await t.http.post('/api/friends/requests').set(bearer(alice.accessToken)).send({ userId: bob.id }).expect(201)).body;
      for (const socket of [aliceSocket, bobSocket]) expect(await socket.waitFor('friend.request')).toEqual(sent.request);

      const accepted = (await t.http.post(`/api/friends/requests/${sent.request.id}/accept`).set(bearer(bob.accessToken)).expect(200)).body;
      expect(await bobSocket.waitFor('friend.accepted')).toEqual(accepted);
      const aliceFriends = (await t.http.get('/api/friends').set(bearer(alice.accessToken)).expect(200)).body.items;
      expect(await aliceSocket.waitFor('friend.accepted')).toEqual(aliceFriends[0]);
      expect(aliceFriends[0]).toMatchObject({ id: bob.id });
      // Already online, each now sees the other.
      await aliceSocket.waitFor('presence', presenceOf(bob.id, true));
      await bobSocket.waitFor('presence', presenceOf(alice.id, true));
    });

    it('announces a request to someone who had already asked as friend.accepted to both', async () => {
      const alice = await register(t.http);
      const bob = await register(t.http);
      const bobSocket = await connect(t, bob.accessToken);
      await t.http.post('/api/friends/requests').set(bearer(bob.accessToken)).send({ userId: alice.id }).expect(201);
      const aliceSocket = await connect(t, alice.accessToken);

      const mutual = (await t.http.post('/api/friends/requests').set(bearer(alice.accessToken)).send({ userId: bob.id }).expect(200)).body;

      expect(mutual.status).toBe('accepted');
      expect(await aliceSocket.waitFor('friend.accepted')).toEqual(mutual.friend);
      expect(await bobSocket.waitFor('friend.accepted')).toMatchObject({ id: alice.id, username: alice.username });
    });
  });

  describe('presence', () => {
    it('shows friends coming online with their first socket and going offline with their last, and starts a socket with who is online', async () => {
      const { alice, bob } = await pair();
      const aliceSocket = await connect(t, alice.accessToken);

      const bobPhone = await connect(t, bob.accessToken);
      expect(await aliceSocket.waitFor('presence', presenceOf(bob.id))).toEqual({ userId: bob.id, online: true });
      expect(await bobPhone.receivedBefore('ready')).toEqual([{ event: 'presence', data: { userId: alice.id, online: true } }]);
      const bobLaptop = await connect(t, (await signIn(bob)).accessToken);
      bobPhone.close();
      bobLaptop.close();

      const before = await aliceSocket.receivedBefore('presence', presenceOf(bob.id, false));
      // The second socket and the first to close changed nothing for alice.
      expect(before.filter((r) => r.event === 'presence')).toEqual([{ event: 'presence', data: { userId: bob.id, online: true } }]);
    });

    it('is never sent to strangers', async () => {
      const { alice, bob } = await pair();
      const charlie = await register(t.http);
      const dave = await register(t.http);
      await befriend(t.http, charlie, dave);
      const charlieSocket = await connect(t, charlie.accessToken);

      await connect(t, alice.accessToken);
      await connect(t, bob.accessToken);
      await connect(t, dave.accessToken);

      const before = await charlieSocket.receivedBefore('presence', presenceOf(dave.id, true));
      expect(before.filter((r) => r.event === 'presence')).toEqual([]);
    });

    it('is never sent across a block, in either direction', async () => {
      const { alice, bob } = await pair();
      const charlie = await register(t.http);
      await befriend(t.http, alice, charlie);
      await befriend(t.http, bob, charlie);
      await t.http.put(`/api/blocks/${alice.id}`).set(bearer(bob.accessToken)).expect(204);
      const aliceSocket = await connect(t, alice.accessToken);

      // The blocker comes online: the blocked user hears nothing, and sees nothing of alice either.
      const bobSocket = await connect(t, bob.accessToken);
      expect(bobSocket.of('presence')).toEqual([]);
      const charlieSocket = await connect(t, charlie.accessToken);
      const aliceBefore = await aliceSocket.receivedBefore('presence', presenceOf(charlie.id, true));
      expect(aliceBefore.filter((r) => r.event === 'presence')).toEqual([]);
      await bobSocket.waitFor('presence', presenceOf(charlie.id, true));
      // Charlie, friends with both, does see them.
      expect(charlieSocket.of('presence')).toEqual(
        expect.arrayContaining([
          { userId: alice.id, online: true },
          { userId: bob.id, online: true },
        ]),
      );
    });

    it('stops at once when a friend unfriends', async () => {
      const { alice, bob } = await pair();
      const charlie = await register(t.http);
      await befriend(t.http, alice, charlie);
      const aliceSocket = await connect(t, alice.accessToken);
      await t.http.delete(`/api/friends/${alice.id}`).set(bearer(bob.accessToken)).expect(204);

      await connect(t, bob.accessToken);
      await connect(t, charlie.accessToken);

      const before = await aliceSocket.receivedBefore('presence', presenceOf(charlie.id, true));
      expect(before.filter((r) => r.event === 'presence')).toEqual([]);
    });
  });

  describe('typing', () => {
    it('reaches only the conversation peer, states its expiry, and is relayed at most once per 2 s per conversation', async () => {
      const { alice, bob, conversationId } = await pair();
      const charlie = await register(t.http);
      await befriend(t.http, alice, charlie);
      const withCharlie = await openConversation(t.http, alice, charlie);
      const aliceSocket = await connect(t, alice.accessToken);
      const aliceLaptop = await connect(t, (await signIn(alice)).accessToken);
      const bobSocket = await connect(t, bob.accessToken);
      const charlieSocket = await connect(t, charlie.accessToken);

      expect(await aliceSocket.emitWithAck<Ack>('typing', { conversationId })).toEqual({ ok: true });
      expect(await bobSocket.waitFor('typing')).toEqual({
        conversationId,
        userId: alice.id,
        expiresAt: new Date(t.clock.now().getTime() + 5 * SECOND).toISOString(),
        ttlSeconds: 5,
      });
      expect(await aliceSocket.emitWithAck<Ack>('typing', { conversationId })).toEqual({ ok: true });
      t.clock.advance(2 * SECOND);
      await aliceSocket.emitWithAck<Ack>('typing', { conversationId });
      await aliceSocket.emitWithAck<Ack>('typing', { conversationId: withCharlie });

      await charlieSocket.waitFor<Typing>('typing', (typing) => typing.conversationId === withCharlie);
      expect(charlieSocket.received.filter(inConversation(conversationId))).toEqual([]);
      const bobTyping = await bobSocket.receivedBefore<Typing>('typing', (typing) => typing.expiresAt === new Date(t.clock.now().getTime() + 5 * SECOND).toISOString());
      expect(bobTyping.filter((r) => r.event === 'typing')).toHaveLength(1);
      expect(bobSocket.of('typing')).toHaveLength(2);
      expect([...aliceSocket.of('typing'), ...aliceLaptop.of('typing')]).toEqual([]);
    });

    it('is refused in a conversation the sender is not in, and its members get nothing', async () => {
      const { alice, bob, conversationId } = await pair();
      const mallory = await register(t.http);
      const bobSocket = await connect(t, bob.accessToken);
      const mallorySocket = await connect(t, mallory.accessToken);

      expect(await mallorySocket.emitWithAck<Ack>('typing', { conversationId })).toMatchObject({ ok: false, code: 'CONVERSATION_NOT_FOUND' });
      mallorySocket.socket.emit('typing', { conversationId: randomUUID() });
      expect(await mallorySocket.waitFor<SocketError>('error')).toMatchObject({ code: 'CONVERSATION_NOT_FOUND', event: 'typing' });
      const aliceSocket = await connect(t, alice.accessToken);
      await aliceSocket.emitWithAck('typing', { conversationId });

      const before = await bobSocket.receivedBefore<Typing>('typing', (typing) => typing.userId === alice.id);
      expect(before.filter((r) => r.event === 'typing')).toEqual([]);
    });

    it('answers VALIDATION_FAILED to a malformed payload, BLOCKED across a block and NOT_FRIENDS after an unfriend', async () => {
      const { alice, bob, conversationId } = await pair();
      const charlie = await register(t.http);
      await befriend(t.http, alice, charlie);
      const withCharlie = await openConversation(t.http, alice, charlie);
      const aliceSocket = await connect(t, alice.accessToken);

      for (const bad of [undefined, 'x', [conversationId], {}, { conversationId: 'nope' }, { conversationId, extra: 1 }]) {
        expect(await aliceSocket.emitWithAck<Ack>('typing', bad)).toMatchObject({ ok: false, code: 'VALIDATION_FAILED' });
      }
      await t.http.put(`/api/blocks/${alice.id}`).set(bearer(bob.accessToken)).expect(204);
      expect(await aliceSocket.emitWithAck<Ack>('typing', { conversationId })).toMatchObject({ ok: false, code: 'BLOCKED' });
      await t.http.delete(`/api/friends/${alice.id}`).set(bearer(charlie.accessToken)).expect(204);
      expect(await aliceSocket.emitWithAck<Ack>('typing', { conversationId: withCharlie })).toMatchObject({ ok: false, code: 'NOT_FRIENDS' });
    });
  });

  describe('handshake', () => {
    it('refuses a missing, malformed, tampered, expired or revoked token with a code', async () => {
      const alice = await register(t.http);
      const [header, payload, signature] = alice.accessToken.split('.');
      const tampered = `${header}.${Buffer.from(JSON.stringify({ ...decode(payload), sub: randomUUID() })).toString('base64url')}.${signature}`;

      expect(await refusal(t, {})).toEqual({ message: expect.stringContaining('auth'), data: { code: 'UNAUTHORIZED', message: expect.any(String) } });
      expect((await refusal(t, { auth: { token: 'not-a-jwt' } })).data?.code).toBe('INVALID_TOKEN');
      expect((await refusal(t, { auth: { token: tampered } })).data).toEqual({ code: 'INVALID_TOKEN', message: 'The access token is not valid' });
      expect((await refusal(t, { auth: { token: alice.refreshToken } })).data?.code).toBe('INVALID_TOKEN');

      const bob = await register(t.http);
      t.clock.advance(ACCESS_TOKEN_MS);
      expect((await refusal(t, { auth: { token: bob.accessToken } })).data).toEqual({ code: 'TOKEN_EXPIRED', message: 'The access token has expired' });

      const carol = await register(t.http);
      await t.http.post('/api/auth/logout').set(bearer(carol.accessToken)).send({}).expect(204);
      expect((await refusal(t, { auth: { token: carol.accessToken } })).data?.code).toBe('SESSION_REVOKED');
    });

    it('refuses a token in the query string, even alongside a valid auth.token', async () => {
      const alice = await register(t.http);

      for (const query of [{ token: alice.accessToken }, { access_token: alice.accessToken }, { anything: alice.accessToken }]) {
        const refused = await refusal(t, { query, auth: { token: alice.accessToken } });
        expect(refused.data?.code).toBe('TOKEN_IN_QUERY');
        expect(refused.message).toContain('auth.token');
      }
    });

    it('works over HTTP long-polling too (the browser default), on the API port', async () => {
      const { alice, bob, conversationId } = await pair();
      const bobSocket = await connect(t, bob.accessToken, { transports: ['polling', 'websocket'] });

      const sent = (await send(alice, conversationId, 'via polling').expect(201)).body;

      expect(await bobSocket.waitFor('message.created')).toEqual(sent);
      bobSocket.close();
      await bobSocket.disconnected();
    });
  });

  describe('ending sessions', () => {
    it("closes that session's sockets at logout, telling them why, and leaves the user's other sessions connected", async () => {
      const { alice, bob, conversationId } = await pair();
      const phone = await connect(t, alice.accessToken);
      const phoneTab = await connect(t, alice.accessToken);
      const laptop = await connect(t, (await signIn(alice)).accessToken);

      await t.http.post('/api/auth/logout').set(bearer(alice.accessToken)).send({}).expect(204);

      for (const socket of [phone, phoneTab]) {
        expect(await socket.waitFor<SocketError>('error')).toMatchObject({ code: 'SESSION_REVOKED' });
        expect(await socket.disconnected()).toBe('io server disconnect');
      }
      const sent = (await send(bob, conversationId, 'still here?').expect(201)).body;
      expect(await laptop.waitFor('message.created')).toEqual(sent);
      expect(laptop.socket.connected).toBe(true);
    });

    it('closes the sockets of every other session at a password change, but not those of the session that changed it', async () => {
      const { alice, bob, conversationId } = await pair();
      const phone = await connect(t, alice.accessToken);
      const laptop = await connect(t, (await signIn(alice)).accessToken);

      const changed = await t.http
        .put('/api/users/me/password')
        .set(bearer(alice.accessToken))
        .send({ currentPassword: PASSWORD, newPassword: 'a brand new secret' })
        .expect(200);

      expect(await laptop.disconnected()).toBe('io server disconnect');
      // The phone's old token is refused for a new socket; its open socket is the same session and stays.
      expect((await refusal(t, { auth: { token: alice.accessToken } })).data?.code).toBe('SESSION_REVOKED');
      const renewed = await connect(t, changed.body.accessToken);
      const sent = (await send(bob, conversationId, 'new password?').expect(201)).body;
      expect(await renewed.waitFor('message.created')).toEqual(sent);
      expect(await phone.waitFor('message.created')).toEqual(sent);
      expect(phone.socket.connected).toBe(true);
    });

    it('closes the sockets of a session whose refresh token was replayed', async () => {
      const alice = await register(t.http);
      const socket = await connect(t, alice.accessToken);
      await t.http.post('/api/auth/refresh').send({ refreshToken: alice.refreshToken }).expect(200);

      await t.http.post('/api/auth/refresh').send({ refreshToken: alice.refreshToken }).expect(401);

      expect(await socket.waitFor<SocketError>('error')).toMatchObject({ code: 'SESSION_REVOKED' });
      expect(await socket.disconnected()).toBe('io server disconnect');
    });

    it('closes a socket when its access token expires, not a second before', async () => {
      const { alice, bob, conversationId } = await pair();
      const bobSocket = await connect(t, bob.accessToken);

      t.clock.advance(ACCESS_TOKEN_MS - SECOND);
      await gateway().checkSockets();
      const sent = (await send(alice, conversationId, 'just in time').expect(201)).body;
      expect(await bobSocket.waitFor('message.created')).toEqual(sent);

      t.clock.advance(SECOND);
      await gateway().checkSockets();
      expect(await bobSocket.waitFor<SocketError>('error')).toMatchObject({ code: 'TOKEN_EXPIRED' });
      expect(await bobSocket.disconnected()).toBe('io server disconnect');
    });

    it('closes a socket whose session ended by another path at the next periodic check', async () => {
      const alice = await register(t.http);
      const socket = await connect(t, alice.accessToken);
      await t.db.query(`UPDATE sessions SET revoked_at = now() WHERE user_id = $1`, [alice.id]);

      await gateway().checkSockets();

      expect(await socket.waitFor<SocketError>('error')).toMatchObject({ code: 'SESSION_REVOKED' });
      expect(await socket.disconnected()).toBe('io server disconnect');
    });
  });

  describe('abuse limits', () => {
    it('refuses events beyond SOCKET_EVENTS_PER_10_SECONDS with RATE_LIMITED, reported once, until the bucket refills', async () => {
      const { alice, conversationId } = await pair();
      const socket = await connect(t, alice.accessToken);

      for (let i = 0; i < 60; i++) socket.socket.emit('typing', { conversationId });
      const refused = await socket.emitWithAck<Ack>('typing', { conversationId });

      expect(refused).toEqual({ ok: false, code: 'RATE_LIMITED', message: expect.any(String), retryAfterSeconds: 1 });
      expect(socket.of('error')).toEqual([{ code: 'RATE_LIMITED', message: expect.any(String), event: 'typing', retryAfterSeconds: 1 }]);
      t.clock.advance(10 * SECOND);
      expect(await socket.emitWithAck<Ack>('typing', { conversationId })).toEqual({ ok: true });
      expect(socket.socket.connected).toBe(true);
    });

    it('refuses an event clients may not send with UNKNOWN_EVENT', async () => {
      const alice = await register(t.http);
      const socket = await connect(t, alice.accessToken);

      expect(await socket.emitWithAck<Ack>('message.created', { body: 'forged' })).toMatchObject({ ok: false, code: 'UNKNOWN_EVENT' });
      socket.socket.emit('presence', { online: true });
      expect(await socket.waitFor<SocketError>('error')).toMatchObject({ code: 'UNKNOWN_EVENT', event: 'presence' });
    });

    it('drops the connection of a client that sends more than SOCKET_MAX_PAYLOAD_BYTES, and keeps serving others', async () => {
      const { alice, bob, conversationId } = await pair();
      const aliceSocket = await connect(t, alice.accessToken);
      const bobSocket = await connect(t, bob.accessToken);

      aliceSocket.socket.emit('typing', { conversationId, padding: 'x'.repeat(20_000) });

      expect(await aliceSocket.disconnected()).toBe('transport close');
      const sent = (await send(alice, conversationId, 'after the flood').expect(201)).body;
      expect(await bobSocket.waitFor('message.created')).toEqual(sent);
    });
  });
});

describe('real time with REDIS_URL set but Redis unreachable (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ REDIS_URL: 'redis://127.0.0.1:1', REDIS_KEY_PREFIX: `iris-test-${randomUUID()}:` });
  });
  afterEach(() => closeSockets());
  afterAll(() => t.close());

  it('starts, serves REST, and still delivers events between sockets of this instance', async () => {
    await t.http.get('/api/health').expect(200);
    const alice = await register(t.http);
    const bob = await register(t.http);
    await befriend(t.http, alice, bob);
    const conversationId = await openConversation(t.http, alice, bob);
    const bobSocket = await connect(t, bob.accessToken);

    const sent = (
      await t.http.post(`/api/conversations/${conversationId}/messages`).set(bearer(alice.accessToken)).send({ clientId: randomUUID(), body: 'hi' }).expect(201)
    ).body;

    expect(await bobSocket.waitFor('message.created')).toEqual(sent);
  });
});

function decode(segment: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(segment, 'base64url').toString());
}

function inConversationData(conversationId: string) {
  return (data: { conversationId?: string }) => data.conversationId === conversationId;
}
