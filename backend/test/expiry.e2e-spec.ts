import { randomUUID } from 'node:crypto';
import { ExpiryService } from '../src/messages/expiry.service.js';
import { friendsInConversation } from './helpers/friends.js';
import { createTestApp, testServerUrl, type TestApp } from './helpers/test-app.js';
import { bearer, PASSWORD, register, type Registered } from './helpers/users.js';

const SECOND = 1000;
const DAY = 86_400_000;

describe('disappearing messages (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ EXPIRY_SWEEP_BATCH_SIZE: '10000' });
  });
  afterAll(() => t.close());

  const pair = () => friendsInConversation(t.http);

  const send = (from: Registered, conversationId: string, body: string, extra: object = {}) =>
    t.http.post(`/api/conversations/${conversationId}/messages`).set(bearer(from.accessToken)).send({ clientId: randomUUID(), body, ...extra });
  const view = async (who: Registered, conversationId: string) => {
    const conversation = (await t.http.get(`/api/conversations/${conversationId}`).set(bearer(who.accessToken)).expect(200)).body;
    const history = (await t.http.get(`/api/conversations/${conversationId}/messages`).set(bearer(who.accessToken)).expect(200)).body;
    return { conversation, bodies: history.items.map((m: { body: string }) => m.body) };
  };
  const rowExists = async (id: string) => (await t.db.query('SELECT 1 FROM messages WHERE id = $1', [id])).length === 1;

  it('removes an afterSend message from history, preview and unread count at its second 60, and the sweep deletes the row', async () => {
    const { alice, bob, conversationId } = await pair();
    await send(alice, conversationId, 'stays').expect(201);
    const timed = (await send(alice, conversationId, 'gone in 60', { expiresInSeconds: 60 }).expect(201)).body;
    expect(timed).toMatchObject({ expiresInSeconds: 60, expiryMode: 'afterSend' });

    t.clock.advance(60 * SECOND - 1);
    let bobView = await view(bob, conversationId);
    expect(bobView.bodies).toEqual(['stays', 'gone in 60']);
    expect(bobView.conversation).toMatchObject({ unreadCount: 2, lastMessage: { id: timed.id } });

    t.clock.advance(1);
    bobView = await view(bob, conversationId);
    expect(bobView.bodies).toEqual(['stays']);
    expect(bobView.conversation.unreadCount).toBe(1);
    expect(bobView.conversation.lastMessage.body).toBe('stays');
    expect((await view(alice, conversationId)).bodies).toEqual(['stays']);
    // Not served by any route, even though the sweep has not run yet.
    expect(await rowExists(timed.id)).toBe(true);
    await t.http.patch(`/api/messages/${timed.id}`).set(bearer(alice.accessToken)).send({ body: 'x' }).expect(404);
    await t.http.delete(`/api/messages/${timed.id}`).set(bearer(alice.accessToken)).expect(404);
    await t.http.post(`/api/conversations/${conversationId}/read`).set(bearer(bob.accessToken)).send({ messageId: timed.id }).expect(404);
    const retry = await send(alice, conversationId, 'gone in 60', { clientId: timed.clientId, expiresInSeconds: 60 }).expect(409);
    expect(retry.body.code).toBe('CLIENT_ID_CONFLICT');

    await t.app.get(ExpiryService).sweep();
    expect(await rowExists(timed.id)).toBe(false);
  });

  it('keeps an unread afterRead message indefinitely, then expires it ttl seconds after the recipient reads it', async () => {
    const { alice, bob, conversationId } = await pair();
    const secret = (await send(alice, conversationId, 'read me', { expiresInSeconds: 30, expiryMode: 'afterRead' }).expect(201)).body;
    expect(secret).toMatchObject({ expiryMode: 'afterRead', expiresAt: null });

    t.clock.advance(40 * DAY);
    await t.app.get(ExpiryService).sweep();
    // Forty days outlive every token and session: both sign in again.
    for (const who of [alice, bob]) {
      const res = await t.http.post('/api/auth/login').send({ username: who.username, password: PASSWORD }).expect(200);
      who.accessToken = res.body.accessToken;
    }
    expect((await view(bob, conversationId)).bodies).toEqual(['read me']);
    // The sender reading their own message starts nothing.
    await t.http.post(`/api/conversations/${conversationId}/read`).set(bearer(alice.accessToken)).send({ messageId: secret.id }).expect(204);
    expect((await view(alice, conversationId)).bodies).toEqual(['read me']);

    await t.http.post(`/api/conversations/${conversationId}/read`).set(bearer(bob.accessToken)).send({ messageId: secret.id }).expect(204);
    const started = (await t.http.get(`/api/conversations/${conversationId}/messages`).set(bearer(alice.accessToken)).expect(200)).body.items[0];
    expect(new Date(started.expiresAt).getTime()).toBe(t.clock.now().getTime() + 30 * SECOND);
    // Reading again does not restart the clock.
    t.clock.advance(10 * SECOND);
    await t.http.post(`/api/conversations/${conversationId}/read`).set(bearer(bob.accessToken)).send({ messageId: secret.id }).expect(204);

    t.clock.advance(20 * SECOND - 1);
    expect((await view(alice, conversationId)).bodies).toEqual(['read me']);
    t.clock.advance(1);
    expect((await view(alice, conversationId)).bodies).toEqual([]);
    expect((await view(bob, conversationId)).bodies).toEqual([]);
    await t.app.get(ExpiryService).sweep();
    expect(await rowExists(secret.id)).toBe(false);
  });

  it('reports every sweep run to admins only', async () => {
    const user = await register(t.http);
    const admin = await register(t.http);
    await t.db.query(`UPDATE users SET role = 'admin' WHERE id = $1`, [admin.id]);
    t.clock.advance(SECOND);
    await t.app.get(ExpiryService).sweep();

    const res = await t.http.get('/api/admin/jobs').set(bearer(admin.accessToken)).expect(200);
    // The attachment clean-up runs right after the message sweep (same clock instant, so no order between them).
    expect(res.body.items.slice(0, 2)).toEqual(expect.arrayContaining([
      expect.objectContaining({ job: 'attachment-cleanup', finishedAt: expect.any(String), rowsAffected: 0, error: null }),
      expect.objectContaining({ job: 'message-expiry', finishedAt: expect.any(String), rowsAffected: 0, error: null }),
    ]));
    expect((await t.http.get('/api/admin/jobs').set(bearer(user.accessToken)).expect(403)).body.code).toBe('FORBIDDEN');
    expect((await t.http.get('/api/admin/jobs').expect(401)).body.code).toBe('UNAUTHORIZED');
  });

  describe('on a large table', () => {
    const COUNT = 100_000;
    let conversationId: string;
    let senderId: string;

    beforeAll(async () => {
      const { alice, conversationId: id } = await pair();
      conversationId = id;
      senderId = alice.id;
    });

    const insertMessages = (count: number, expiresAt: Date | null) =>
      t.db.query(
        `INSERT INTO messages (conversation_id, seq, sender_id, client_id, body, created_at, expires_in_seconds, expiry_mode, expires_at)
         SELECT $1, g, $2, gen_random_uuid(), 'bulk ' || g, $3, $4, $5, $6 FROM generate_series(1, $7) AS g`,
        [conversationId, senderId, t.clock.now(), expiresAt ? 5 : null, expiresAt ? 'afterSend' : null, expiresAt, count],
      );

    it('reads a history page with an index scan on 100k rows', async () => {
      await insertMessages(COUNT, null);
      await t.db.query('ANALYZE messages');
      const plan: { 'QUERY PLAN': string }[] = await t.db.query(
        `EXPLAIN SELECT * FROM messages m
          WHERE m.conversation_id = $1 AND m.seq < $2 AND (m.expires_at IS NULL OR m.expires_at > $3)
          ORDER BY m.seq DESC LIMIT 51`,
        [conversationId, COUNT, t.clock.now()],
      );
      const text = plan.map((row) => row['QUERY PLAN']).join('\n');
      expect(text).toMatch(/Index Scan Backward using "?UQ_messages_conversation_seq"?/);
      expect(text).not.toMatch(/Seq Scan/);

      const unreadPlan: { 'QUERY PLAN': string }[] = await t.db.query(
        `EXPLAIN SELECT count(*) FROM messages x
          WHERE x.conversation_id = $1 AND x.seq > $2 AND x.sender_id <> $3
            AND x.deleted_at IS NULL AND (x.expires_at IS NULL OR x.expires_at > $4)`,
        [conversationId, COUNT - 100, randomUUID(), t.clock.now()],
      );
      expect(unreadPlan.map((row) => row['QUERY PLAN']).join('\n')).toMatch(/UQ_messages_conversation_seq/);
      await t.db.query('DELETE FROM messages WHERE conversation_id = $1', [conversationId]);
    });

    it('sweeps 100k expired messages in batches, with a second instance sweeping at the same time', async () => {
      await insertMessages(COUNT, new Date(t.clock.now().getTime() - SECOND));
      await t.db.query('ANALYZE messages');
      // The statement ExpiryService runs: an index range for the batch, then straight to the rows (TID scan).
      const sweepPlan: { 'QUERY PLAN': string }[] = await t.db.query(
        `EXPLAIN DELETE FROM messages WHERE ctid = ANY(ARRAY(
           SELECT ctid FROM messages WHERE expires_at <= $1 AND expires_at >= '-infinity'::timestamptz
            ORDER BY expires_at LIMIT 10000))`,
        [t.clock.now()],
      );
      const sweepText = sweepPlan.map((row) => row['QUERY PLAN']).join('\n');
      expect(sweepText).toMatch(/IDX_messages_expires_at/);
      expect(sweepText).toMatch(/Tid Scan/);
      expect(sweepText).not.toMatch(/Seq Scan/);
      const keeper = await t.db.query(
        `INSERT INTO messages (conversation_id, seq, sender_id, client_id, body, created_at) VALUES ($1, $2, $3, $4, 'keep', $5) RETURNING id`,
        [conversationId, COUNT + 1, senderId, randomUUID(), t.clock.now()],
      );
      // With PostgreSQL the second instance is a separate app on the same database; PGlite has one connection per process.
      const second = testServerUrl() ? await createTestApp({ EXPIRY_SWEEP_BATCH_SIZE: '10000' }, { sameDatabaseAs: t }) : t;
      try {
        t.clock.advance(SECOND);
        const startedAt = t.clock.now();
        const [a, b] = await Promise.all([t.app.get(ExpiryService).sweep(), second.app.get(ExpiryService).sweep()]);
        expect(a + b).toBe(COUNT);
        const [{ n }] = await t.db.query('SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1', [conversationId]);
        expect(n).toBe(1);
        expect(await rowExists(keeper[0].id)).toBe(true);
        const runs = await t.db.query(
          `SELECT rows_affected, error FROM job_runs WHERE job = 'message-expiry' AND started_at >= $1`,
          [startedAt],
        );
        expect(runs.map((r: { error: string | null }) => r.error)).toEqual([null, null]);
        expect(runs.reduce((sum: number, r: { rows_affected: number }) => sum + r.rows_affected, 0)).toBe(COUNT);
      } finally {
        if (second !== t) await second.app.close();
      }
    });
  });
});
