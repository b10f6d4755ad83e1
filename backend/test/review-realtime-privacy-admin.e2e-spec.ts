import { jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import type { Response } from 'supertest';
import { fromBufferPromise } from 'yauzl';
import { AttachmentsService } from '../src/attachments/attachments.service.js';
import { seed } from '../src/cli/seed.js';
import { ExpiryService } from '../src/messages/expiry.service.js';
import { befriend, openConversation } from './helpers/friends.js';
import { createTestApp, type TestApp, testServerUrl } from './helpers/test-app.js';
import { bearer, PASSWORD, register, type Registered } from './helpers/users.js';

/** Lock-ordering races need real concurrent connections: PostgreSQL only (PGlite has one connection). */
const onPostgres = testServerUrl() ? it : it.skip;

async function unzip(bytes: Buffer): Promise<Map<string, Buffer>> {
  const zip = await fromBufferPromise(bytes, { lazyEntries: true });
  const files = new Map<string, Buffer>();
  for await (const entry of zip.eachEntry()) files.set(entry.fileName, await buffer(await zip.openReadStreamPromise(entry)));
  return files;
}

describe('review: realtime, privacy, admin', () => {
  let t: TestApp;
  let uploadDir: string;
  let admin: Registered;

  beforeAll(async () => {
    uploadDir = await mkdtemp(join(tmpdir(), 'iris-review-'));
    t = await createTestApp({ UPLOAD_DIR: uploadDir, LOG_LEVEL: process.env.REVIEW_LOG_LEVEL ?? 'silent' });
    admin = await register(t.http);
    await t.db.query(`UPDATE users SET role = 'admin' WHERE id = $1`, [admin.id]);
  });
  afterAll(async () => {
    await t.close();
    await rm(uploadDir, { recursive: true, force: true });
  });

  const makeAdmin = async () => {
    const user = await register(t.http);
    await t.db.query(`UPDATE users SET role = 'admin' WHERE id = $1`, [user.id]);
    return user;
  };

  /** Starts a request now (supertest is lazy) and resolves with its response. */
  const start = (request: PromiseLike<Response>): Promise<Response> => Promise.resolve(request);

  /** Waits until `n` backends of this test database wait for a lock. */
  async function waitForLockWaiters(n: number): Promise<void> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const [{ waiting }] = await t.db.query(
        `SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      );
      if (waiting >= n) return;
      if (Date.now() > deadline) throw new Error(`only ${waiting} of ${n} backends wait for a lock`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** Holds a row lock from a connection of its own until `release` is called. */
  async function holdRowLock(sql: string, params: unknown[]) {
    const runner = t.db.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    await runner.query(sql, params);
    return async () => {
      await runner.commitTransaction();
      await runner.release();
    };
  }

  describe('hostile input on the admin routes', () => {
    it('answers 400, not 500, to a search holding a NUL character', async () => {
      const res = await t.http.get('/api/admin/users').query({ search: 'ab\u0000c' }).set(bearer(admin.accessToken));
      expect(res.status).toBe(400);
    });

    it('(same class) the user search answers 400, not 500, to a NUL character', async () => {
      const res = await t.http.get('/api/users').query({ search: 'ab\u0000c' }).set(bearer(admin.accessToken));
      expect(res.status).toBe(400);
    });

    it('treats % and \\ in the admin search literally', async () => {
      // (`_` is left out: usernames contain it.)
      for (const search of ['%', '\\', '\\%', '%\\']) {
        const res = await t.http.get('/api/admin/users').query({ search }).set(bearer(admin.accessToken)).expect(200);
        expect(res.body.items).toEqual([]);
      }
    });

    it('refuses odd dryRun values with 400', async () => {
      const victim = await register(t.http);
      for (const dryRun of ['1', 'TRUE', 'yes', '']) {
        await t.http.delete(`/api/admin/users/${victim.id}`).query({ dryRun }).set(bearer(admin.accessToken)).expect(400);
      }
      await t.http.delete(`/api/admin/users/${victim.id}?dryRun=true&dryRun=true`).set(bearer(admin.accessToken)).expect(400);
      await t.http.get('/api/users/me').set(bearer(victim.accessToken)).expect(200);
    });
  });

  describe('races with an erasure (PostgreSQL)', () => {
    onPostgres('two admins erasing each other while a third admin is being locked: no 500, at least one admin left', async () => {
      const admins = [await makeAdmin(), await makeAdmin(), await makeAdmin()].sort((x, y) => (x.id < y.id ? -1 : 1));
      const [first, a, b] = admins;
      // Stands in for a third erasure that is holding the admin rows a moment longer (its lockAndCheck).
      const release = await holdRowLock(`SELECT id FROM users WHERE id = $1 FOR UPDATE`, [first.id]);
      const eraseB = start(t.http.delete(`/api/admin/users/${b.id}`).set(bearer(a.accessToken)));
      const eraseA = start(t.http.delete(`/api/admin/users/${a.id}`).set(bearer(b.accessToken)));
      await waitForLockWaiters(2);
      await release();
      const statuses = [(await eraseB).status, (await eraseA).status];
      expect(statuses).not.toContain(500);
      const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM users WHERE role = 'admin'`);
      expect(n).toBeGreaterThanOrEqual(1);
    });

    onPostgres('a message sent from another device while the sender erases their account: no 500 on either side', async () => {
      const alice = await register(t.http);
      const bob = await register(t.http);
      await befriend(t.http, alice, bob);
      const conversationId = await openConversation(t.http, alice, bob);
      // Anything that keeps the conversation row busy for a moment (bob's own send, say).
      const release = await holdRowLock(`SELECT id FROM conversations WHERE id = $1 FOR UPDATE`, [conversationId]);
      const send = start(
        t.http.post(`/api/conversations/${conversationId}/messages`).set(bearer(alice.accessToken)).send({ clientId: randomUUID(), body: 'last words' }),
      );
      await waitForLockWaiters(1);
      const erase = start(t.http.delete('/api/users/me').set(bearer(alice.accessToken)).send({ password: PASSWORD }));
      await waitForLockWaiters(2);
      await release();
      const [sent, erased] = [await send, await erase];
      expect({ send: sent.status >= 500 ? sent.status : 'not 5xx', erase: erased.status }).toEqual({ send: 'not 5xx', erase: 200 });
    });

    onPostgres('a friend request to a user whose erasure is under way answers 201 or 404, never 500, and leaves nothing', async () => {
      const target = await register(t.http);
      const friend = await register(t.http);
      const asker = await register(t.http);
      await befriend(t.http, target, friend);
      const conversationId = await openConversation(t.http, target, friend);
      const release = await holdRowLock(`SELECT id FROM conversations WHERE id = $1 FOR UPDATE`, [conversationId]);
      // The erasure takes the target's row lock, then waits for the conversation row (ON DELETE SET NULL).
      const erase = start(t.http.delete(`/api/admin/users/${target.id}`).set(bearer(admin.accessToken)));
      await waitForLockWaiters(1);
      // The erasure locks the target's conversations before the target's row, so a request arriving now
      // either lands before the erasure (201, then erased with the account) or finds the user gone (404).
      const ask = start(t.http.post('/api/friends/requests').set(bearer(asker.accessToken)).send({ userId: target.id }));
      const answered = await Promise.race([ask.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 500))]);
      await release();
      expect((await erase).status).toBe(200);
      const answer = await ask;
      expect([201, 404]).toContain(answer.status);
      if (answered) expect(answer.status).toBe(201);
      expect(await t.db.query(`SELECT 1 FROM friend_requests WHERE from_user_id = $1`, [asker.id])).toEqual([]);
    });
  });

  describe('export stream', () => {
    it('does not keep serving data written after the session that started it was ended', async () => {
      const alice = await register(t.http);
      const bob = await register(t.http);
      const carol = await register(t.http);
      await befriend(t.http, alice, bob);
      await befriend(t.http, alice, carol);
      const big = await openConversation(t.http, alice, bob);
      const later = await openConversation(t.http, alice, carol);
      // A long history, so a client that stops reading stalls the export inside the first conversation.
      const count = 25000;
      await t.db.query(
        `INSERT INTO messages (conversation_id, seq, sender_id, client_id, body, created_at)
         SELECT $1, g, $2, gen_random_uuid(),
                (SELECT string_agg(md5(random()::text || g::text || i::text), '') FROM generate_series(1, 125) i), $3
           FROM generate_series(1, ${count}) g`,
        [big, bob.id, t.clock.now()],
      );
      await t.db.query(`UPDATE conversations SET last_seq = ${count} WHERE id = $1`, [big]);

      const { port } = t.app.getHttpServer().address() as AddressInfo;
      const response = await new Promise<IncomingMessage>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, path: '/api/users/me/export', headers: bearer(alice.accessToken) }, resolve);
        req.on('error', reject);
        req.end();
      });
      expect(response.statusCode).toBe(200);
      response.pause();
      const chunks: Buffer[] = [];
      // Wait until the server stops reading history: it is stalled on the client (backpressure).
      const batches = jest.spyOn(t.app.get(AttachmentsService), 'forMessages');
      for (let seen = -1; seen !== batches.mock.calls.length; ) {
        seen = batches.mock.calls.length;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      batches.mockRestore();

      // The user signs out everywhere (or changes the password, or erases the account) ...
      await t.http.post('/api/auth/logout').set(bearer(alice.accessToken)).send({}).expect((res) => expect(res.status).toBeLessThan(300));
      await t.http.get('/api/users/me').set(bearer(alice.accessToken)).expect(401);
      // ... and afterwards carol writes to alice.
      await t.http
        .post(`/api/conversations/${later}/messages`)
        .set(bearer(carol.accessToken))
        .send({ clientId: randomUUID(), body: 'written after alice signed out' })
        .expect(201);

      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      await new Promise((resolve) => response.on('close', resolve).resume());
      const complete = response.complete;
      const body = Buffer.concat(chunks);
      const leaked = complete && (await unzip(body)).get(`conversations/${later}.json`)?.toString('utf8').includes('written after alice signed out');
      expect({ complete, leaked }).not.toEqual({ complete: true, leaked: true });
    });
  });

  describe('seed', () => {
    it('adds nothing when run again after its timed message has expired and been swept', async () => {
      await seed(t.app);
      t.clock.advance(10 * 60_000);
      await t.app.get(ExpiryService).sweep();
      const again = await seed(t.app);
      expect(again.created.messages).toBe(0);
    });
  });
});
