import { randomBytes, randomUUID } from 'node:crypto';
import { ExpiryService } from '../src/messages/expiry.service.js';
import { befriend, openConversation } from './helpers/friends.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';
import { bearer, PASSWORD, register, type Registered } from './helpers/users.js';

const SECOND = 1000;

/** A Megolm content as OlmMachine.encryptRoomEvent answers it; the server never reads it. */
const megolm = () => ({
  algorithm: 'm.megolm.v1.aes-sha2',
  ciphertext: randomBytes(160).toString('base64').replace(/=+$/, ''),
  device_id: 'A1',
  sender_key: '26uCNjtjOFyYek+DL+n15vFYU4wpP/TRuEOUXA5+NW0',
  session_id: 'OV64ougYA7gMii8W4Tp3V22IYRMNntjXITTc7KtA2cI',
});

interface ListItem {
  id: string;
  unreadCount: number;
  lastActivityAt: string;
  lastMessage: { id: string; body: string | null; ciphertext: object | null; deletedAt: string | null; editedAt: string | null } | null;
}

describe('the conversation list kept on write (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const send = (from: Registered, conversationId: string, content: object) =>
    t.http
      .post(`/api/conversations/${conversationId}/messages`)
      .set(bearer(from.accessToken))
      .send({ clientId: randomUUID(), ...content })
      .expect(201)
      .then((res) => res.body as { id: string; seq: number });
  const read = (who: Registered, conversationId: string, messageId: string) =>
    t.http.post(`/api/conversations/${conversationId}/read`).set(bearer(who.accessToken)).send({ messageId }).expect(204);

  /** The whole list through the API, two rows a page, so that the cursor is walked too. */
  async function listed(who: Registered): Promise<ListItem[]> {
    const items: ListItem[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=2&cursor=${encodeURIComponent(cursor)}` : '?limit=2';
      const page: { items: ListItem[]; nextCursor: string | null } = (
        await t.http.get(`/api/conversations${query}`).set(bearer(who.accessToken)).expect(200)
      ).body;
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return items;
  }

  /** The same list computed from the messages themselves, as it was before the summary existed. */
  async function fromScratch(who: Registered): Promise<{ id: string; unreadCount: number; lastActivityAt: string; lastMessageId: string | null }[]> {
    const rows: { id: string; unread: number; last_activity_at: Date; last_id: string | null }[] = await t.db.query(
      `SELECT c.id, c.last_activity_at,
              (SELECT count(*)::int FROM messages x
                WHERE x.conversation_id = c.id AND x.seq > m.last_read_seq AND x.sender_id <> m.user_id AND x.kind = 'message'
                  AND x.deleted_at IS NULL AND (x.expires_at IS NULL OR x.expires_at > $2)) AS unread,
              (SELECT x.id FROM messages x WHERE x.conversation_id = c.id AND x.kind = 'message' AND (x.expires_at IS NULL OR x.expires_at > $2)
                ORDER BY x.seq DESC LIMIT 1) AS last_id
         FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id
        WHERE m.user_id = $1
        ORDER BY c.last_activity_at DESC, c.id DESC`,
      [who.id, t.clock.now()],
    );
    return rows.map((row) => ({ id: row.id, unreadCount: row.unread, lastActivityAt: row.last_activity_at.toISOString(), lastMessageId: row.last_id }));
  }

  /** The list each user sees is the one computed from scratch, and the stored counts are exact (time aside). */
  async function expectConsistent(users: Registered[]): Promise<void> {
    for (const user of users) {
      const list = await listed(user);
      expect(list.map((item) => ({ id: item.id, unreadCount: item.unreadCount, lastActivityAt: item.lastActivityAt, lastMessageId: item.lastMessage?.id ?? null }))).toEqual(
        await fromScratch(user),
      );
    }
    const drift = await t.db.query(
      `SELECT m.conversation_id, m.user_id, m.unread_count, u.count, m.unread_expires_at, u.expires_at
         FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id
        CROSS JOIN LATERAL (SELECT count(*)::int AS count, min(x.expires_at) AS expires_at FROM messages x
                             WHERE x.conversation_id = m.conversation_id AND x.seq > m.last_read_seq AND x.sender_id <> m.user_id
                               AND x.kind = 'message' AND x.deleted_at IS NULL) u
        WHERE m.user_id = ANY($1) AND (m.unread_count <> u.count OR m.last_activity_at <> c.last_activity_at
              OR (u.expires_at IS NOT NULL AND (m.unread_expires_at IS NULL OR m.unread_expires_at > u.expires_at)))`,
      [users.map((user) => user.id)],
    );
    expect(drift).toEqual([]);
  }

  it('matches the list computed from the messages after sends, reactions, edits, deletes, reads, expiry, the sweep and an erasure', async () => {
    const owner = await register(t.http);
    const peers = [await register(t.http), await register(t.http), await register(t.http), await register(t.http)];
    const conversations: string[] = [];
    for (const [index, peer] of peers.entries()) {
      await befriend(t.http, owner, peer);
      conversations.push(await openConversation(t.http, owner, peer, { encrypted: index === 3 }));
      t.clock.advance(SECOND);
    }
    const everyone = [owner, ...peers];
    // New conversations, nothing sent yet: ordered by when they were opened, nothing unread.
    await expectConsistent(everyone);
    const [plain, timed, erased, encrypted] = conversations;

    const a1 = await send(peers[0], plain, { body: 'one' });
    const a2 = await send(peers[0], plain, { body: 'two' });
    await send(owner, plain, { body: 'reply' });
    t.clock.advance(SECOND);
    const b1 = await send(peers[1], timed, { body: 'gone in 60', expiresInSeconds: 60 });
    await send(peers[1], timed, { body: 'stays' });
    const b3 = await send(peers[1], timed, { body: 'gone in 30', expiresInSeconds: 30 });
    const b4 = await send(peers[1], timed, { body: 'after read', expiresInSeconds: 30, expiryMode: 'afterRead' });
    t.clock.advance(SECOND);
    await send(peers[2], erased, { body: 'from someone who leaves' });
    await send(owner, erased, { body: 'owner to the leaver' });
    const e1 = await send(peers[3], encrypted, { ciphertext: megolm() });
    const e2 = await send(peers[3], encrypted, { ciphertext: megolm() });
    await expectConsistent(everyone);

    // A reaction moves the chat up but is neither its last message nor unread.
    t.clock.advance(SECOND);
    await send(owner, plain, { body: '👍', kind: 'reaction', relatesTo: a1.id });
    await send(peers[3], encrypted, { ciphertext: megolm(), kind: 'reaction', relatesTo: e1.id });
    // Edits keep the count; the list shows the new content.
    await t.http.patch(`/api/messages/${a2.id}`).set(bearer(peers[0].accessToken)).send({ body: 'two, edited' }).expect(200);
    const editedCiphertext = megolm();
    await t.http.patch(`/api/messages/${e2.id}`).set(bearer(peers[3].accessToken)).send({ ciphertext: editedCiphertext }).expect(200);
    // A delete takes an unread message off the count, and its reactions with it.
    await t.http.delete(`/api/messages/${a1.id}`).set(bearer(peers[0].accessToken)).expect(204);
    await expectConsistent(everyone);
    const encryptedItem = (await listed(owner)).find((item) => item.id === encrypted)!;
    expect(encryptedItem.lastMessage).toMatchObject({ id: e2.id, body: null, ciphertext: editedCiphertext });

    // Reads: the owner reads up to the timed one in the middle; the afterRead one stays unread.
    await read(owner, timed, b3.id);
    await read(peers[0], plain, (await send(owner, plain, { body: 'read me' })).id);
    await expectConsistent(everyone);

    // Expiry before the sweep: the 60 s one was read already, the afterRead one is unread and keeps no clock.
    // One unread timed message where the owner had read some of the sweep's rows, one where none.
    const unreadTimed = await send(peers[1], timed, { body: 'unread, gone in 20', expiresInSeconds: 20 });
    const unreadPlain = await send(peers[0], plain, { body: 'unread too, gone in 20', expiresInSeconds: 20 });
    t.clock.advance(20 * SECOND);
    await expectConsistent(everyone);
    expect((await listed(owner)).find((item) => item.id === timed)).toMatchObject({ unreadCount: 1, lastMessage: { id: b4.id } });
    t.clock.advance(60 * SECOND);
    // The sweep: the last message moves to the one before, counts fall.
    await t.app.get(ExpiryService).sweep();
    const left = await t.db.query('SELECT id FROM messages WHERE id = ANY($1)', [[b1.id, b3.id, unreadTimed.id, unreadPlain.id]]);
    expect(left).toEqual([]);
    await expectConsistent(everyone);

    // Reading the afterRead message starts its clock; once it is swept the list shows the one before.
    await read(owner, timed, b4.id);
    t.clock.advance(31 * SECOND);
    await expectConsistent(everyone);
    await t.app.get(ExpiryService).sweep();
    await expectConsistent(everyone);
    expect((await listed(owner)).find((item) => item.id === timed)!.lastMessage!.body).toBe('stays');

    // An erasure takes the leaver's messages (unread by the owner) with it.
    await t.http.delete('/api/users/me').set(bearer(peers[2].accessToken)).send({ password: PASSWORD }).expect(200);
    const remaining = [owner, peers[0], peers[1], peers[3]];
    await expectConsistent(remaining);
    expect((await listed(owner)).find((item) => item.id === erased)).toMatchObject({ unreadCount: 0, lastMessage: { body: 'owner to the leaver' } });
  });
});
