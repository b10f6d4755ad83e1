import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { friendsInConversation } from './helpers/friends.js';
import { MEGOLM } from './helpers/messages-service.js';
import { asProcess, MessagesService } from '../src/messages/messages.service.js';
import { createTestApp, testServerUrl, type TestApp } from './helpers/test-app.js';
import { bearer, register, type Registered } from './helpers/users.js';

/**
 * Sends that arrive together commit together (messages/send-batches.ts). What a sender sees must not
 * depend on it: every send gets the answer it would have had alone, with its own error, whatever else
 * went in the same statement.
 */
describe('sends committed together (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const send = (from: Registered, conversationId: string, fields: object) =>
    t.http
      .post(`/api/conversations/${conversationId}/messages`)
      .set(bearer(from.accessToken))
      .send({ clientId: randomUUID(), ...fields });

  const pair = () => friendsInConversation(t.http);

  /** How many transactions wrote the conversations' messages: fewer than the messages means some went together. */
  async function transactionsOf(conversationIds: string[]): Promise<{ messages: number; transactions: number }> {
    const [row] = await t.db.query(
      'SELECT count(*)::int AS messages, count(DISTINCT xmin::text)::int AS transactions FROM messages WHERE conversation_id = ANY($1::uuid[])',
      [conversationIds],
    );
    return row;
  }

  it('gives each of many concurrent sends its own message, in gapless seq order per conversation', async () => {
    const pairs = await Promise.all(Array.from({ length: 6 }, pair));
    const sends = pairs.flatMap(({ alice, bob, conversationId }, p) =>
      Array.from({ length: 12 }, (_, i) => ({ from: i % 2 === 0 ? alice : bob, conversationId, body: `pair ${p} message ${i}`, clientId: randomUUID() })),
    );

    const answers = await Promise.all(sends.map(({ from, conversationId, body, clientId }) => send(from, conversationId, { body, clientId })));

    answers.forEach((answer, i) => {
      expect(answer.status).toBe(201);
      expect(answer.body).toMatchObject({ body: sends[i].body, clientId: sends[i].clientId, senderId: sends[i].from.id, conversationId: sends[i].conversationId });
    });
    for (const { conversationId } of pairs) {
      const seqs = answers.filter((answer) => answer.body.conversationId === conversationId).map((answer) => answer.body.seq);
      expect(seqs.sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    }
    expect((await transactionsOf(pairs.map((p) => p.conversationId))).messages).toBe(72);
  });

  it('commits sends that come in the same turn together, beyond the statements allowed out at once', async () => {
    const pairs = await Promise.all(Array.from({ length: 3 }, pair));
    const messages = t.app.get(MessagesService);

    const sent = await Promise.all(
      Array.from({ length: 30 }, (_, i) => {
        const { alice, conversationId } = pairs[i % 3];
        return messages.send(asProcess(alice.id), conversationId, { clientId: randomUUID(), body: `burst ${i}` });
      }),
    );

    expect(sent.every(({ created }) => created)).toBe(true);
    expect(sent.map(({ message }) => message.body)).toEqual(Array.from({ length: 30 }, (_, i) => `burst ${i}`));
    const written = await transactionsOf(pairs.map((p) => p.conversationId));
    expect(written.messages).toBe(30);
    // PostgreSQL: the first four went alone, the others waited and went together; PGlite: all in one.
    expect(written.transactions).toBeLessThanOrEqual(testServerUrl() ? 6 : 1);
  });

  it('answers each send of a burst with its own outcome when some of them are refused', async () => {
    const good = await Promise.all(Array.from({ length: 4 }, pair));
    const blocked = await pair();
    await t.http.put(`/api/blocks/${blocked.alice.id}`).set(bearer(blocked.bob.accessToken)).expect(204);
    const stranger = await register(t.http);
    const loggedOut = await pair();
    await t.http.post('/api/auth/logout').set(bearer(loggedOut.alice.accessToken)).send({}).expect(204);
    const twice = { ...good[0], clientId: randomUUID() };

    const burst = [
      ...good.flatMap(({ alice, conversationId }) => Array.from({ length: 5 }, (_, i) => send(alice, conversationId, { body: `ok ${i}` }))),
      send(blocked.alice, blocked.conversationId, { body: 'to someone who blocked me' }),
      send(stranger, good[1].conversationId, { body: 'not my conversation' }),
      send(loggedOut.alice, loggedOut.conversationId, { body: 'after logging out' }),
      send(good[2].alice, good[2].conversationId, { ciphertext: MEGOLM }),
      send(twice.alice, twice.conversationId, { body: 'same clientId', clientId: twice.clientId }),
      send(twice.alice, twice.conversationId, { body: 'same clientId', clientId: twice.clientId }),
    ];
    const answers = await Promise.all(burst);

    const [ok, refusals, duplicates] = [answers.slice(0, 20), answers.slice(20, 24), answers.slice(24)];
    expect(ok.map((answer) => answer.status)).toEqual(Array(20).fill(201));
    expect(refusals.map((answer) => [answer.status, answer.body.code])).toEqual([
      [403, 'BLOCKED'],
      [404, 'CONVERSATION_NOT_FOUND'],
      [401, 'SESSION_REVOKED'],
      [400, 'ENCRYPTION_MISMATCH'],
    ]);
    // One of the two is the original, the other its replay, and both carry the same message.
    expect(duplicates.map((answer) => answer.status).sort()).toEqual([200, 201]);
    expect(duplicates[0].body.id).toBe(duplicates[1].body.id);

    const stored = await t.db.query(
      'SELECT conversation_id, count(*)::int AS count FROM messages WHERE conversation_id = ANY($1::uuid[]) GROUP BY conversation_id',
      [[blocked, loggedOut, ...good].map((p) => p.conversationId)],
    );
    const counts = Object.fromEntries(stored.map((row: { conversation_id: string; count: number }) => [row.conversation_id, row.count]));
    expect(counts).toEqual({
      [good[0].conversationId]: 6,
      [good[1].conversationId]: 5,
      [good[2].conversationId]: 5,
      [good[3].conversationId]: 5,
    });
  });

  it('stores a clientId raced within and across statements once, and the sends around it each once', async () => {
    const { alice, bob, conversationId } = await pair();
    const clientId = randomUUID();
    const burst = Array.from({ length: 40 }, (_, i) =>
      i % 2 === 0 ? send(alice, conversationId, { body: 'racing', clientId }) : send(bob, conversationId, { body: `around ${i}` }),
    );

    const answers = await Promise.all(burst);

    const racing = answers.filter((_, i) => i % 2 === 0);
    expect(racing.map((answer) => answer.status).sort()).toEqual([...Array(19).fill(200), 201]);
    expect(new Set(racing.map((answer) => answer.body.id)).size).toBe(1);
    expect(answers.filter((_, i) => i % 2 === 1).every((answer) => answer.status === 201)).toBe(true);
    const rows = await t.db.query('SELECT seq FROM messages WHERE conversation_id = $1 ORDER BY seq', [conversationId]);
    expect(rows.map((row: { seq: number }) => row.seq)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
  });

  it('stores a lone surrogate as the single statement does (U+FFFD) without failing the batch it is in, whatever the case of the ids', async () => {
    const pairs = await Promise.all(Array.from({ length: 3 }, pair));
    const messages = t.app.get(MessagesService);

    const sent = await Promise.all(
      Array.from({ length: 20 }, (_, i) => {
        const { alice, conversationId } = pairs[i % 3];
        const body = i === 9 ? 'half a pair \ud83d here' : `burst ${i}`;
        return messages.send(asProcess(alice.id), i % 2 === 0 ? conversationId.toUpperCase() : conversationId, { clientId: randomUUID(), body });
      }),
    );

    expect(sent.every(({ created }) => created)).toBe(true);
    expect(sent[9].message.body).toBe('half a pair \ufffd here');
    const written = await transactionsOf(pairs.map((p) => p.conversationId));
    expect(written.messages).toBe(20);
    // Not run again one by one, as a failed batch would have been.
    expect(written.transactions).toBeLessThanOrEqual(testServerUrl() ? 6 : 1);
  });

  (testServerUrl() ? it : it.skip)('answers the other sends of a batch while one of them waits on a lock held elsewhere', async () => {
    const [stuck, ...others] = await Promise.all(Array.from({ length: 5 }, pair));
    // A long transaction (an erasure, say) holding the conversation of `stuck`.
    const holder = new pg.Client({ connectionString: t.databaseUrl });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM conversations WHERE id = $1 FOR UPDATE', [stuck.conversationId]);
      const messages = t.app.get(MessagesService);
      const sendTo = ({ alice, conversationId }: { alice: Registered; conversationId: string }, body: string) =>
        messages.send(asProcess(alice.id), conversationId, { clientId: randomUUID(), body });

      // The first four go alone and wait on the lock; the fifth waits with the others for a statement,
      // then goes in one batch with them, which waits on the lock too.
      const held = Array.from({ length: 5 }, (_, i) => sendTo(stuck, `held ${i}`));
      const free = await Promise.all(Array.from({ length: 12 }, (_, i) => sendTo(others[i % 4], `free ${i}`)));

      // All answered with the lock still held: the four stopped counting as statements out, and the
      // batch gave up its lock wait and ran its sends again alone.
      expect(free.every(({ created }) => created)).toBe(true);
      await holder.query('COMMIT');
      expect((await Promise.all(held)).map(({ created }) => created)).toEqual([true, true, true, true, true]);
    } finally {
      await holder.end();
    }
  });
});
