import { fromBufferPromise } from 'yauzl';
import { buffer } from 'node:stream/consumers';
import { binary } from './helpers/binary.js';
import { befriend, openConversation } from './helpers/friends.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';
import { bearer, PASSWORD, register, type Registered } from './helpers/users.js';

const SECOND = 1_000;
const DAY = 86_400;

interface Notice {
  id: string;
  actorId: string | null;
  type: string;
  expiresInSeconds: number | null;
  expiryMode: string | null;
  afterSeq: number;
  createdAt: string;
}

describe('conversation notices (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const notices = (who: Registered, conversationId: string, query = '') =>
    t.http.get(`/api/conversations/${conversationId}/notices${query}`).set(bearer(who.accessToken));
  const patch = (who: Registered, conversationId: string, body: object) =>
    t.http.patch(`/api/conversations/${conversationId}`).set(bearer(who.accessToken)).send(body).expect(200);
  const send = (who: Registered, conversationId: string, body: string) =>
    t.http.post(`/api/conversations/${conversationId}/messages`).set(bearer(who.accessToken)).send({ clientId: crypto.randomUUID(), body }).expect(201);

  async function pair() {
    const alice = await register(t.http, { displayName: 'Alice' });
    const bob = await register(t.http, { displayName: 'Bob' });
    await befriend(t.http, alice, bob);
    return { alice, bob, conversationId: await openConversation(t.http, alice, bob) };
  }

  it('keeps each change of the timer and the encryption for both members, after the newest message then, newest first', async () => {
    const { alice, bob, conversationId } = await pair();
    await send(bob, conversationId, 'hello');

    t.clock.advance(SECOND);
    await patch(alice, conversationId, { defaultExpiresInSeconds: DAY });
    t.clock.advance(SECOND);
    await patch(bob, conversationId, { defaultExpiryMode: 'afterRead' });
    await send(alice, conversationId, 'timed');
    t.clock.advance(SECOND);
    await patch(bob, conversationId, { defaultExpiresInSeconds: null, encrypted: true });
    t.clock.advance(SECOND);
    await patch(alice, conversationId, { defaultExpiryMode: 'afterSend' });
    await patch(alice, conversationId, { defaultExpiresInSeconds: null, encrypted: true });

    const forAlice = (await notices(alice, conversationId).expect(200)).body;
    const forBob = (await notices(bob, conversationId).expect(200)).body;
    expect(forBob).toEqual(forAlice);
    expect(forAlice.nextCursor).toBeNull();
    const items = forAlice.items as Notice[];
    const shape = ({ actorId, type, expiresInSeconds, expiryMode, afterSeq }: Notice) => ({ actorId, type, expiresInSeconds, expiryMode, afterSeq });
    // One request turned the timer off and encryption on: the same time, told apart by id only.
    expect(items.slice(0, 2).map(shape)).toHaveLength(2);
    expect(items.slice(0, 2).map(shape)).toEqual(
      expect.arrayContaining([
        { actorId: bob.id, type: 'encryption', expiresInSeconds: null, expiryMode: null, afterSeq: 2 },
        { actorId: bob.id, type: 'timer', expiresInSeconds: null, expiryMode: 'afterRead', afterSeq: 2 },
      ]),
    );
    expect(items.slice(2).map(shape)).toEqual([
      { actorId: bob.id, type: 'timer', expiresInSeconds: DAY, expiryMode: 'afterRead', afterSeq: 1 },
      { actorId: alice.id, type: 'timer', expiresInSeconds: DAY, expiryMode: 'afterSend', afterSeq: 1 },
    ]);
    expect(items[0].createdAt).toBe(items[1].createdAt);
    expect(new Date(items[3].createdAt) < new Date(items[2].createdAt)).toBe(true);
  });

  it('pages by cursor, and never counts a notice as unread', async () => {
    const { alice, bob, conversationId } = await pair();
    for (const seconds of [60, 120, 180]) {
      t.clock.advance(SECOND);
      await patch(alice, conversationId, { defaultExpiresInSeconds: seconds });
    }

    const first = (await notices(bob, conversationId, '?limit=2').expect(200)).body;
    expect(first.items.map((n: Notice) => n.expiresInSeconds)).toEqual([180, 120]);
    const second = (await notices(bob, conversationId, `?limit=2&cursor=${first.nextCursor}`).expect(200)).body;
    expect(second).toEqual({ items: [expect.objectContaining({ expiresInSeconds: 60 })], nextCursor: null });

    const conversation = (await t.http.get(`/api/conversations/${conversationId}`).set(bearer(bob.accessToken)).expect(200)).body;
    expect(conversation).toMatchObject({ unreadCount: 0, lastMessage: null, defaultExpiresInSeconds: 180 });
  });

  it('shows a stranger nothing, and answers bad input with a stable code', async () => {
    const { alice, conversationId } = await pair();
    await patch(alice, conversationId, { defaultExpiresInSeconds: 60 });
    const stranger = await register(t.http);

    expect((await notices(stranger, conversationId).expect(404)).body.code).toBe('CONVERSATION_NOT_FOUND');
    expect((await notices(alice, 'not-an-id').expect(400)).body.code).toBe('INVALID_ID');
    expect((await notices(alice, conversationId, '?cursor=bm90IGEgY3Vyc29y').expect(400)).body.code).toBe('INVALID_CURSOR');
    expect((await notices(alice, conversationId, '?limit=0').expect(400)).body.code).toBe('VALIDATION_FAILED');
    await t.http.get(`/api/conversations/${conversationId}/notices`).expect(401);
  });

  it('goes into the export, and keeps an erased actor only as a null', async () => {
    const { alice, bob, conversationId } = await pair();
    await patch(alice, conversationId, { defaultExpiresInSeconds: DAY });

    const zip = (await t.http.get('/api/users/me/export').set(bearer(bob.accessToken)).buffer(true).parse(binary).expect(200)).body as Buffer;
    const archive = await fromBufferPromise(zip, { lazyEntries: true });
    let exported: { notices: Notice[] } | undefined;
    for await (const entry of archive.eachEntry()) {
      if (entry.fileName === `conversations/${conversationId}.json`) exported = JSON.parse((await buffer(await archive.openReadStreamPromise(entry))).toString());
    }
    const listed = (await notices(bob, conversationId).expect(200)).body.items;
    expect(exported?.notices).toEqual(listed);

    await t.http.delete('/api/users/me').set(bearer(alice.accessToken)).send({ password: PASSWORD }).expect(200);

    const after = (await notices(bob, conversationId).expect(200)).body.items;
    expect(after).toEqual([{ ...listed[0], actorId: null }]);
    expect(JSON.stringify(after)).not.toContain(alice.username);
  });
});
