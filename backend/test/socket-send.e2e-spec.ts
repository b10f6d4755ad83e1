import { randomUUID } from 'node:crypto';
import { befriend, friendsInConversation, openConversation } from './helpers/friends.js';
import { closeSockets, connect, type TestSocket } from './helpers/sockets.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';
import { bearer, PASSWORD, register, type Registered } from './helpers/users.js';

interface Message {
  id: string;
  conversationId: string;
  seq: number;
  clientId: string;
  body: string | null;
}
interface SendAck {
  ok: boolean;
  created?: boolean;
  sent?: Message;
  code?: string;
  message?: string;
  retryAfterSeconds?: number;
}
interface SocketError {
  code: string;
  message: string;
  event?: string;
}

const SECOND = 1000;
const ACCESS_TOKEN_MS = 900 * SECOND;
const SEND_LIMIT = 6;
const MEGOLM = {
  algorithm: 'm.megolm.v1.aes-sha2',
  ciphertext: 'AwgBEtABMUoMoHlFjcAe804T2/g5yh7dgJBUWHtl1B3BoMdIj++sY2CV+zQSheSUErOKDSwXD1/VDpqEeoBCc+hU9hRyayizRouw1SGGUkeVinY0Is06TwvjVqrx8N9G3CqWpdO',
  device_id: 'A1',
  sender_key: '26uCNjtjOFyYek+DL+n15vFYU4wpP/TRuEOUXA5+NW0',
  session_id: 'OV64ougYA7gMii8W4Tp3V22IYRMNntjXITTc7KtA2cI',
};

/** `message.send` over the socket: the send route in every rule, without a request of its own. */
describe('sending over the socket (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterEach(() => closeSockets());
  afterAll(() => t.close());

  const sendOverSocket = (socket: TestSocket, payload: unknown) => socket.emitWithAck<SendAck>('message.send', payload);
  const history = async (user: Registered, conversationId: string): Promise<Message[]> =>
    (await t.http.get(`/api/conversations/${conversationId}/messages`).set(bearer(user.accessToken)).expect(200)).body.items;
  const signIn = async (user: Registered): Promise<Registered> => {
    const res = await t.http.post('/api/auth/login').send({ username: user.username, password: PASSWORD }).expect(200);
    return { ...user, accessToken: res.body.accessToken, refreshToken: res.body.refreshToken };
  };

  const pair = (options: { encrypted?: boolean } = {}) => friendsInConversation(t.http, options);

  it('says in ready how big an event may be', async () => {
    const alice = await register(t.http);
    const socket = await connect(t, alice.accessToken);
    expect(socket.of('ready')).toEqual([{ userId: alice.id, tokenExpiresAt: expect.any(String), maxPayloadBytes: 16_384 }]);
  });

  it("acknowledges with the stored message, which reaches the peer and the sender's other sockets but not the sending one", async () => {
    const { alice, bob, conversationId } = await pair();
    const phone = await connect(t, alice.accessToken);
    const laptop = await connect(t, (await signIn(alice)).accessToken);
    const bobSocket = await connect(t, bob.accessToken);
    const clientId = randomUUID();

    const ack = await sendOverSocket(phone, { conversationId, clientId, body: '  hello over the socket  ' });

    expect(ack).toEqual({ ok: true, created: true, sent: expect.objectContaining({ conversationId, clientId, body: 'hello over the socket' }) });
    expect(await history(bob, conversationId)).toEqual([ack.sent]);
    for (const socket of [laptop, bobSocket]) expect(await socket.waitFor<Message>('message.created', (m) => m.id === ack.sent!.id)).toEqual(ack.sent);
    // Events reach a socket in order: bob's reply comes after alice's message would have.
    const reply = await sendOverSocket(bobSocket, { conversationId, clientId: randomUUID(), body: 'reply' });
    const phoneBefore = await phone.receivedBefore<Message>('message.created', (m) => m.id === reply.sent!.id);
    expect(phoneBefore.filter((r) => r.event === 'message.created')).toEqual([]);
    expect(bobSocket.of('message.created').filter((m) => (m as Message).id === reply.sent!.id)).toEqual([]);
  });

  it('is idempotent per clientId across the socket and the route: a resend answers the original and announces nothing', async () => {
    const { alice, bob, conversationId } = await pair();
    const socket = await connect(t, alice.accessToken);
    const bobSocket = await connect(t, bob.accessToken);
    const clientId = randomUUID();

    const first = await sendOverSocket(socket, { conversationId, clientId, body: 'once' });
    const again = await sendOverSocket(socket, { conversationId, clientId, body: 'once' });
    const overRest = await t.http
      .post(`/api/conversations/${conversationId}/messages`)
      .set(bearer(alice.accessToken))
      .send({ clientId, body: 'once' })
      .expect(200);
    const conflicting = await sendOverSocket(socket, { conversationId, clientId, body: 'something else' });

    expect(again).toEqual({ ok: true, created: false, sent: first.sent });
    expect(overRest.body).toEqual(first.sent);
    expect(conflicting).toMatchObject({ ok: false, code: 'CLIENT_ID_CONFLICT' });
    const marker = await sendOverSocket(socket, { conversationId, clientId: randomUUID(), body: 'marker' });
    const before = await bobSocket.receivedBefore<Message>('message.created', (m) => m.id === marker.sent!.id);
    expect(before.filter((r) => r.event === 'message.created').map((r) => (r.data as Message).body)).toEqual(['once']);
    expect((await history(alice, conversationId)).map((m) => m.body)).toEqual(['once', 'marker']);
  });

  it('refuses what the route refuses, with its codes, and stores nothing', async () => {
    const { alice, bob, conversationId } = await pair();
    const { conversationId: encrypted } = await pair({ encrypted: true });
    const charlie = await register(t.http);
    await befriend(t.http, alice, charlie);
    const withCharlie = await openConversation(t.http, alice, charlie);
    const mallory = await register(t.http);
    const socket = await connect(t, alice.accessToken);
    const mallorySocket = await connect(t, mallory.accessToken);
    const valid = { conversationId, clientId: randomUUID(), body: 'hi' };

    for (const bad of [{}, { ...valid, conversationId: 'nope' }, { ...valid, conversationId: undefined }, { ...valid, conversationId: 7 }]) {
      expect([bad, await sendOverSocket(socket, bad)]).toEqual([bad, expect.objectContaining({ ok: false, code: 'INVALID_ID' })]);
    }
    let deep: object = { a: 1 };
    for (let i = 0; i < 2_000; i++) deep = { a: deep };
    // What the route's input check refuses, on the socket too: PostgreSQL cannot store U+0000, and deep nesting would exhaust the stack.
    expect(await sendOverSocket(socket, { ...valid, body: 'a\u0000b' })).toMatchObject({ ok: false, code: 'INVALID_CHARACTERS' });
    expect(await sendOverSocket(socket, { ...valid, ciphertext: { ...MEGOLM, device_id: '\u0000' } })).toMatchObject({ ok: false, code: 'INVALID_CHARACTERS' });
    expect(await sendOverSocket(socket, { ...valid, extra: deep })).toMatchObject({ ok: false, code: 'VALIDATION_FAILED' });
    expect(await sendOverSocket(socket, JSON.parse(`{"conversationId":"${conversationId}","clientId":"${randomUUID()}","body":"hi","__proto__":{"x":1}}`))).toMatchObject({
      ok: false,
      code: 'INVALID_JSON',
    });
    for (const bad of [
      undefined,
      'hi',
      [valid],
      { ...valid, clientId: 'nope' },
      { ...valid, body: '' },
      { ...valid, body: 'x'.repeat(4001) },
      { ...valid, extra: 1 },
      { ...valid, kind: 'reaction' },
      { ...valid, expiresInSeconds: 1 },
    ]) {
      expect([bad, await sendOverSocket(socket, bad)]).toEqual([bad, expect.objectContaining({ ok: false, code: 'VALIDATION_FAILED', message: expect.any(String) })]);
    }
    expect(await sendOverSocket(socket, { ...valid, conversationId: encrypted })).toMatchObject({ ok: false, code: 'CONVERSATION_NOT_FOUND' });
    expect(await sendOverSocket(mallorySocket, valid)).toMatchObject({ ok: false, code: 'CONVERSATION_NOT_FOUND' });
    expect(await sendOverSocket(socket, { conversationId, clientId: randomUUID(), ciphertext: MEGOLM })).toMatchObject({ ok: false, code: 'ENCRYPTION_MISMATCH' });
    expect(await sendOverSocket(socket, { ...valid, relatesTo: randomUUID() })).toMatchObject({ ok: false, code: 'RELATED_MESSAGE_NOT_FOUND' });
    expect(await sendOverSocket(socket, { ...valid, attachmentIds: [randomUUID()] })).toMatchObject({ ok: false, code: 'ATTACHMENT_NOT_FOUND' });
    await t.http.delete(`/api/friends/${alice.id}`).set(bearer(charlie.accessToken)).expect(204);
    expect(await sendOverSocket(socket, { ...valid, conversationId: withCharlie })).toMatchObject({ ok: false, code: 'NOT_FRIENDS' });
    await t.http.put(`/api/blocks/${alice.id}`).set(bearer(bob.accessToken)).expect(204);
    expect(await sendOverSocket(socket, valid)).toMatchObject({ ok: false, code: 'BLOCKED' });

    expect(socket.socket.connected).toBe(true);
    expect(await history(alice, conversationId)).toEqual([]);
    expect(await history(alice, withCharlie)).toEqual([]);
  });

  it('stores the sends of one socket in the order it sent them, even without waiting for each answer', async () => {
    const { alice, bob, conversationId } = await pair();
    const socket = await connect(t, alice.accessToken);
    const bobSocket = await connect(t, bob.accessToken);
    const bodies = Array.from({ length: 30 }, (_, i) => `in order ${i}`);

    const acks = await Promise.all(bodies.map((body) => sendOverSocket(socket, { conversationId, clientId: randomUUID(), body })));

    expect(acks.map((ack) => ack.sent?.body)).toEqual(bodies);
    expect(acks.map((ack) => ack.sent!.seq)).toEqual(acks.map((_, i) => acks[0].sent!.seq + i));
    expect((await history(alice, conversationId)).map((m) => m.body)).toEqual(bodies);
    await bobSocket.waitFor<Message>('message.created', (m) => m.body === bodies.at(-1));
    expect(bobSocket.of('message.created').map((m) => (m as Message).body)).toEqual(bodies);
  });

  it('answers a resend with ids in upper case as the same message', async () => {
    const { alice, conversationId } = await pair();
    const socket = await connect(t, alice.accessToken);
    const target = await sendOverSocket(socket, { conversationId, clientId: randomUUID(), body: 'react to me' });
    const reaction = { conversationId, clientId: randomUUID(), kind: 'reaction', body: '👍', relatesTo: target.sent!.id };

    const first = await sendOverSocket(socket, reaction);
    const again = await sendOverSocket(socket, { ...reaction, conversationId: conversationId.toUpperCase(), relatesTo: target.sent!.id.toUpperCase() });
    const overRest = await t.http
      .post(`/api/conversations/${conversationId.toUpperCase()}/messages`)
      .set(bearer(alice.accessToken))
      .send({ ...reaction, conversationId: undefined, relatesTo: target.sent!.id.toUpperCase() })
      .expect(200);

    expect(first).toMatchObject({ ok: true, created: true });
    expect(again).toEqual({ ok: true, created: false, sent: first.sent });
    expect(overRest.body).toEqual(first.sent);
  });

  it('says when to try again when the socket event budget is spent', async () => {
    const { alice, conversationId } = await pair();
    const socket = await connect(t, alice.accessToken);
    for (let i = 0; i < 50; i++) socket.socket.emit('typing', { conversationId });

    const refused = await sendOverSocket(socket, { conversationId, clientId: randomUUID(), body: 'over budget' });

    expect(refused).toEqual({ ok: false, code: 'RATE_LIMITED', message: expect.any(String), retryAfterSeconds: 1 });
    expect(await history(alice, conversationId)).toEqual([]);
  });

  it('tells the socket of the session that changed the password to connect again with its new token, not to sign in', async () => {
    const { alice, conversationId } = await pair();
    const socket = await connect(t, alice.accessToken);
    const changed = await t.http
      .put('/api/users/me/password')
      .set(bearer(alice.accessToken))
      .send({ currentPassword: PASSWORD, newPassword: 'a brand new secret' })
      .expect(200);

    expect(await sendOverSocket(socket, { conversationId, clientId: randomUUID(), body: 'old token' })).toMatchObject({ ok: false, code: 'TOKEN_EXPIRED' });
    expect(await socket.disconnected()).toBe('io server disconnect');
    const renewed = await connect(t, changed.body.accessToken);
    expect(await sendOverSocket(renewed, { conversationId, clientId: randomUUID(), body: 'new token' })).toMatchObject({ ok: true, created: true });
    expect((await history({ ...alice, accessToken: changed.body.accessToken }, conversationId)).map((m) => m.body)).toEqual(['new token']);
  });

  it('without an ack, sends the message to the sending socket too, and reports a refusal as an error event', async () => {
    const { alice, bob, conversationId } = await pair();
    const socket = await connect(t, alice.accessToken);
    const clientId = randomUUID();

    socket.socket.emit('message.send', { conversationId, clientId, body: 'fire and forget' });
    const echoed = await socket.waitFor<Message>('message.created', (m) => m.clientId === clientId);
    expect(await history(bob, conversationId)).toEqual([echoed]);

    socket.socket.emit('message.send', { conversationId, body: 'no clientId' });
    expect(await socket.waitFor<SocketError>('error')).toEqual({ code: 'VALIDATION_FAILED', message: expect.any(String), event: 'message.send' });
  });

  it("refuses a send on a socket whose session has ended or whose token has expired, stores nothing, and closes it", async () => {
    const { alice, conversationId } = await pair();
    const revoked = await connect(t, alice.accessToken);
    const expiring = await connect(t, (await signIn(alice)).accessToken);
    // Ended by a path that closes no socket at once: the periodic check has not run yet.
    const { sid } = JSON.parse(Buffer.from(alice.accessToken.split('.')[1], 'base64url').toString()) as { sid: string };
    await t.db.query(`UPDATE sessions SET revoked_at = now() WHERE id = $1`, [sid]);

    expect(await sendOverSocket(revoked, { conversationId, clientId: randomUUID(), body: 'after logout' })).toMatchObject({ ok: false, code: 'SESSION_REVOKED' });
    expect(await revoked.waitFor<SocketError>('error')).toMatchObject({ code: 'SESSION_REVOKED' });
    expect(await revoked.disconnected()).toBe('io server disconnect');

    t.clock.advance(ACCESS_TOKEN_MS);
    expect(await sendOverSocket(expiring, { conversationId, clientId: randomUUID(), body: 'too late' })).toMatchObject({ ok: false, code: 'TOKEN_EXPIRED' });
    expect(await expiring.disconnected()).toBe('io server disconnect');
    const [{ count }] = (await t.db.query(`SELECT count(*)::int AS count FROM messages WHERE conversation_id = $1`, [conversationId])) as { count: number }[];
    expect(count).toBe(0);
  });

  it('counts into the route’s rate-limit window, and says when to try again', async () => {
    const limited = await createTestApp({ SEND_RATE_LIMIT_PER_MINUTE: String(SEND_LIMIT) }, { sameDatabaseAs: t });
    const { alice, conversationId } = await friendsInConversation(limited.http);
    const socket = await connect(limited, alice.accessToken);
    for (let i = 0; i < SEND_LIMIT / 2; i++) {
      await limited.http.post(`/api/conversations/${conversationId}/messages`).set(bearer(alice.accessToken)).send({ clientId: randomUUID(), body: `rest ${i}` }).expect(201);
      expect(await sendOverSocket(socket, { conversationId, clientId: randomUUID(), body: `socket ${i}` })).toMatchObject({ ok: true });
    }

    const refused = await sendOverSocket(socket, { conversationId, clientId: randomUUID(), body: 'one too many' });
    expect(refused).toEqual({ ok: false, code: 'RATE_LIMITED', message: expect.any(String), retryAfterSeconds: expect.any(Number) });
    expect(refused.retryAfterSeconds).toBeGreaterThan(0);
    expect(refused.retryAfterSeconds).toBeLessThanOrEqual(60);
    await limited.http.post(`/api/conversations/${conversationId}/messages`).set(bearer(alice.accessToken)).send({ clientId: randomUUID(), body: 'nor this' }).expect(429);

    limited.clock.advance(60 * SECOND);
    expect(await sendOverSocket(socket, { conversationId, clientId: randomUUID(), body: 'a new minute' })).toMatchObject({ ok: true, created: true });
    const stored = await limited.http.get(`/api/conversations/${conversationId}/messages`).set(bearer(alice.accessToken)).expect(200);
    expect(stored.body.items).toHaveLength(SEND_LIMIT + 1);
    closeSockets();
    await limited.close();
  });
});
