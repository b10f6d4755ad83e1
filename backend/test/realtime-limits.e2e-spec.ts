import { randomUUID } from 'node:crypto';
import { friendsInConversation } from './helpers/friends.js';
import { closeSockets, connect, type TestSocket } from './helpers/sockets.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';
import { bearer, register, type Registered } from './helpers/users.js';

interface Ack {
  ok: boolean;
  code?: string;
}

const SECOND = 1000;

describe('real time: limits under concurrent events (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterEach(() => closeSockets());
  afterAll(() => t.close());

  const pair = () => friendsInConversation(t.http);

  /** The `typing` events bob got before a message sent afterwards, which proves nothing later is missing. */
  async function typingSeenBy(bobSocket: TestSocket, alice: Registered, conversationId: string): Promise<number> {
    const marker = await t.http
      .post(`/api/conversations/${conversationId}/messages`)
      .set(bearer(alice.accessToken))
      .send({ clientId: randomUUID(), body: 'marker' })
      .expect(201);
    const before = await bobSocket.receivedBefore<{ id: string }>('message.created', (m) => m.id === marker.body.id);
    return before.filter((r) => r.event === 'typing').length;
  }

  it('relays one typing for 40 sent at once by one socket without waiting for the acknowledgements', async () => {
    const { alice, bob, conversationId } = await pair();
    const aliceSocket = await connect(t, alice.accessToken);
    const bobSocket = await connect(t, bob.accessToken);

    const answers = await Promise.all(Array.from({ length: 40 }, () => aliceSocket.emitWithAck<Ack>('typing', { conversationId })));

    expect(answers.filter((answer) => answer.ok)).toHaveLength(40);
    expect(await typingSeenBy(bobSocket, alice, conversationId)).toBe(1);
  });

  it('relays one typing per 2 s for a user however many sockets they open, and their sockets share one event budget', async () => {
    const { alice, bob, conversationId } = await pair();
    const sockets = await Promise.all(Array.from({ length: 20 }, () => connect(t, alice.accessToken)));
    const bobSocket = await connect(t, bob.accessToken);

    const answers = (await Promise.all(sockets.map((socket) => Promise.all(Array.from({ length: 10 }, () => socket.emitWithAck<Ack>('typing', { conversationId })))))).flat();

    expect(await typingSeenBy(bobSocket, alice, conversationId)).toBe(1);
    // 200 events from one user: SOCKET_EVENTS_PER_10_SECONDS (50) pass, the rest are refused.
    expect(answers.filter((answer) => answer.ok)).toHaveLength(50);
    expect(answers.filter((answer) => answer.code === 'RATE_LIMITED')).toHaveLength(150);

    t.clock.advance(10 * SECOND);
    expect(await sockets[7].emitWithAck<Ack>('typing', { conversationId })).toEqual({ ok: true });
    expect(await typingSeenBy(bobSocket, alice, conversationId)).toBe(2);
  });

  it('gives every concurrent typing of a conversation the sender is not in the same refusal, and relays nothing', async () => {
    const { bob, conversationId } = await pair();
    const mallory = await register(t.http);
    const mallorySocket = await connect(t, mallory.accessToken);
    const bobSocket = await connect(t, bob.accessToken);

    const answers = await Promise.all(Array.from({ length: 10 }, () => mallorySocket.emitWithAck<Ack>('typing', { conversationId })));

    expect(answers.map((answer) => answer.code)).toEqual(Array(10).fill('CONVERSATION_NOT_FOUND'));
    expect(bobSocket.of('typing')).toEqual([]);
  });
});
