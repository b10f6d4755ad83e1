import { jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import pg from 'pg';
import { Storage } from '../src/attachments/storage/storage.js';
import { createScratchDatabase, type ScratchDatabase } from '../src/database/scratch-database.js';
import { shutDown } from '../src/shutdown.js';
import { befriend, openConversation } from './helpers/friends.js';
import { png } from './helpers/media.js';
import { deleteRedisKeys, redisAvailable, TEST_REDIS_URL, uniqueRedisPrefix } from './helpers/redis.js';
import { closeSockets, connect } from './helpers/sockets.js';
import { TcpProxy } from './helpers/tcp-proxy.js';
import { createTestApp, type TestApp, testServerUrl } from './helpers/test-app.js';
import { bearer, register, type Registered } from './helpers/users.js';

/** Real time has to pass here: the outage is a real one, of a real TCP connection. */
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const onPostgres = testServerUrl() ? describe : describe.skip;

onPostgres('fault: PostgreSQL goes away under a send load (e2e, PostgreSQL only)', () => {
  let scratch: ScratchDatabase;
  let proxy: TcpProxy;
  let t: TestApp;

  beforeAll(async () => {
    scratch = await createScratchDatabase(testServerUrl()!);
    const direct = new URL(scratch.url);
    proxy = new TcpProxy(direct.hostname, Number(direct.port || 5432));
    await proxy.start();
    const proxied = new URL(scratch.url);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    t = await createTestApp({ DATABASE_URL: proxied.toString(), LOG_LEVEL: process.env.FAULTS_LOG_LEVEL ?? 'silent' });
  });
  afterAll(async () => {
    await proxy.start().catch(() => undefined);
    await t?.close();
    await proxy.stop();
    await scratch?.drop();
  });

  it('answers 503 with the standard shape while it is down, recovers by itself, and keeps every acknowledged send exactly once', async () => {
    const [alice, bob] = [await register(t.http), await register(t.http)];
    await befriend(t.http, alice, bob);
    const conversationId = await openConversation(t.http, alice, bob);

    const acknowledged = new Map<string, string>();
    const unexpected: unknown[] = [];
    const outageAnswers: unknown[] = [];
    let recovered = false;
    let acknowledgedAfterRecovery = 0;
    let stopping = false;
    let givingUp = false;

    /**
     * A client that keeps sending until told to stop; on anything but a 2xx it retries the same clientId
     * until it gets one. Sending goes on through the outage, so it does not depend on how fast a send is.
     */
    async function sender(who: Registered): Promise<void> {
      for (let i = 0; !stopping; i++) {
        const clientId = randomUUID();
        for (;;) {
          const res = await t.http
            .post(`/api/conversations/${conversationId}/messages`)
            .set(bearer(who.accessToken))
            .send({ clientId, body: `${who.username} ${i}` })
            .catch((error: Error) => ({ status: 0, body: error.message, headers: {} as Record<string, string> }));
          if (res.status === 200 || res.status === 201) {
            const previous = acknowledged.get(clientId);
            if (previous && previous !== res.body.id) unexpected.push({ clientId, twoIds: [previous, res.body.id] });
            acknowledged.set(clientId, res.body.id);
            if (recovered) acknowledgedAfterRecovery += 1;
            break;
          }
          if (res.status === 503) outageAnswers.push({ body: res.body, retryAfter: res.headers['retry-after'] });
          else unexpected.push({ status: res.status, body: res.body });
          if (givingUp) return;
          await pause(100);
        }
      }
    }

    const load = Promise.all([sender(alice), sender(bob), sender(alice)]);
    await pause(300);
    await proxy.stop();
    await pause(1500);
    const health = await t.http.get('/api/health');
    await pause(1500);
    await proxy.start();
    recovered = true;
    const timeout = setTimeout(() => (givingUp = stopping = true), 60_000);
    while (acknowledgedAfterRecovery < 15 && !givingUp) await pause(50);
    stopping = true;
    await load;
    clearTimeout(timeout);

    expect(unexpected).toEqual([]);
    expect(health.status).toBe(503);
    expect(outageAnswers.length).toBeGreaterThan(0);
    for (const answer of outageAnswers) {
      expect(answer).toEqual({
        body: {
          statusCode: 503,
          error: 'Service Unavailable',
          code: expect.stringMatching(/^(DATABASE_UNAVAILABLE|TRY_AGAIN)$/),
          message: expect.any(String),
          requestId: expect.any(String),
        },
        retryAfter: expect.stringMatching(/^\d+$/),
      });
    }
    await t.http.get('/api/health').expect(200);

    const client = new pg.Client({ connectionString: scratch.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ id: string; client_id: string }>('SELECT id, client_id FROM messages WHERE conversation_id = $1', [
        conversationId,
      ]);
      expect(acknowledgedAfterRecovery).toBeGreaterThanOrEqual(15);
      expect(rows).toHaveLength(acknowledged.size);
      expect(new Map(rows.map((row) => [row.client_id, row.id]))).toEqual(acknowledged);
      const { rows: seqs } = await client.query<{ seq: number }>('SELECT seq FROM messages WHERE conversation_id = $1 ORDER BY seq', [conversationId]);
      expect(seqs.map((row) => row.seq)).toEqual(Array.from({ length: acknowledged.size }, (_, i) => i + 1));
    } finally {
      await client.end();
    }
    console.log(`fault: PostgreSQL outage; ${acknowledged.size} sends acknowledged and stored once, ${outageAnswers.length} answered 503 while it was down`);
  });
});

describe('fault: the storage refuses a write (e2e)', () => {
  let t: TestApp;
  let uploadDir: string;
  beforeAll(async () => {
    uploadDir = await mkdtemp(join(tmpdir(), 'iris-faults-'));
    t = await createTestApp({ UPLOAD_DIR: uploadDir });
  });
  afterAll(async () => {
    await t.close();
    await rm(uploadDir, { recursive: true, force: true });
  });

  const filesOnDisk = async () => {
    const found: string[] = [];
    for (const dir of ['originals', 'thumbnails', '.incoming']) {
      found.push(...(await readdir(join(uploadDir, dir)).catch(() => [] as string[])).map((name) => `${dir}/${name}`));
    }
    return found;
  };

  it.each([
    ['the original', 1],
    ['the thumbnail, after the original was stored', 2],
  ])('answers 503 STORAGE_UNAVAILABLE when %s cannot be written, and leaves no row and no file', async (_case, failingCall) => {
    const user = await register(t.http);
    const storage = t.app.get(Storage);
    const real = storage.putFile.bind(storage);
    let calls = 0;
    const spy = jest.spyOn(storage, 'putFile').mockImplementation(async (key, path, type) => {
      if (++calls === failingCall) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      return real(key, path, type);
    });
    try {
      const res = await t.http
        .post('/api/attachments')
        .set(bearer(user.accessToken))
        .attach('file', await png(), { filename: 'photo.png', contentType: 'image/png' })
        .expect(503);
      expect(res.body).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        code: 'STORAGE_UNAVAILABLE',
        message: 'The file could not be stored; try again later',
        requestId: expect.any(String),
      });
      expect(res.headers['retry-after']).toBeDefined();
    } finally {
      spy.mockRestore();
    }
    expect(await t.db.query('SELECT id FROM attachments WHERE uploader_id = $1', [user.id])).toEqual([]);
    expect(await filesOnDisk()).toEqual([]);
    expect(await t.db.query('SELECT storage_key FROM storage_deletions')).toEqual([]);

    // The next upload, with the storage back, works.
    const ok = await t.http
      .post('/api/attachments')
      .set(bearer(user.accessToken))
      .attach('file', await png(), { filename: 'photo.png', contentType: 'image/png' })
      .expect(201);
    await t.http.get(`/api/attachments/${ok.body.id}`).set(bearer(user.accessToken)).expect(200);
    await t.http.delete('/api/users/me').set(bearer(user.accessToken)).send({ password: 'correct horse battery' }).expect(200);
  });
});

// Two instances share one database: PostgreSQL only, as in the scale-out tests.
const withRedis = testServerUrl() && (await redisAvailable()) ? describe : describe.skip;

withRedis('fault: Redis goes away and comes back (e2e; needs PostgreSQL and Redis)', () => {
  const prefix = uniqueRedisPrefix();
  let proxy: TcpProxy;
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    const redis = new URL(TEST_REDIS_URL);
    proxy = new TcpProxy(redis.hostname, Number(redis.port || 6379));
    await proxy.start();
    const env = { REDIS_URL: `redis://127.0.0.1:${proxy.port}`, REDIS_KEY_PREFIX: prefix };
    a = await createTestApp(env);
    b = await createTestApp(env, { sameDatabaseAs: a });
  });
  afterEach(() => closeSockets());
  afterAll(async () => {
    await proxy.start().catch(() => undefined);
    await b?.close();
    await a?.close();
    await proxy.stop();
    await deleteRedisKeys(prefix);
  });

  it('keeps delivering on one instance while Redis is down, and across instances again once it is back', async () => {
    const [alice, bob] = [await register(a.http), await register(a.http)];
    await befriend(a.http, alice, bob);
    const conversationId = await openConversation(a.http, alice, bob);
    const bobOnA = await connect(a, bob.accessToken);
    const bobOnB = await connect(b, bob.accessToken);
    const send = async (body: string) => {
      const res = await a.http.post(`/api/conversations/${conversationId}/messages`).set(bearer(alice.accessToken)).send({ clientId: randomUUID(), body });
      expect(res.status).toBe(201);
      return res.body.id as string;
    };
    const byId = (id: string) => (m: { id: string }) => m.id === id;

    const before = await send('before');
    await bobOnA.waitFor('message.created', byId(before));
    await bobOnB.waitFor('message.created', byId(before));

    await proxy.stop();
    const during = await send('while Redis is down');
    await bobOnA.waitFor('message.created', byId(during));
    await a.http.get('/api/health').expect(200);

    await proxy.start();
    // Once Redis is back each instance closes its sockets, so clients reconnect and catch up on what
    // could not cross meanwhile (realtime-redis-outage.e2e-spec.ts); then messages reach instance B again.
    expect(await bobOnA.disconnected(20_000)).toBe('io server disconnect');
    expect(await bobOnB.disconnected(20_000)).toBe('io server disconnect');
    // An instance that failed to publish meanwhile asks the other to close its sockets too, which may
    // come after these connected: a client connects again, as socket.io-client does.
    let [againOnA, againOnB] = [await connect(a, bob.accessToken), await connect(b, bob.accessToken)];
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (againOnA.disconnectReason !== null) againOnA = await connect(a, bob.accessToken);
      if (againOnB.disconnectReason !== null) againOnB = await connect(b, bob.accessToken);
      const after = await send('after');
      const onA = await againOnA.waitFor('message.created', byId(after)).then(() => true, () => false);
      const crossed = await againOnB.waitFor('message.created', byId(after), 1_000).then(() => true, () => false);
      if (!onA && againOnA.disconnectReason === null) throw new Error('instance A did not deliver to its own socket');
      if (crossed) break;
      if (Date.now() > deadline) throw new Error('instance B never heard from instance A again after Redis came back');
    }
  });
});

onPostgres('fault: the app shuts down (SIGTERM) under a send load (e2e, PostgreSQL only)', () => {
  it('finishes the requests in flight, answers none with a 500, and stores exactly the acknowledged sends', async () => {
    const t = await createTestApp();
    const direct = new pg.Client({ connectionString: t.databaseUrl });
    await direct.connect();
    try {
      const [alice, bob] = [await register(t.http), await register(t.http)];
      await befriend(t.http, alice, bob);
      const conversationId = await openConversation(t.http, alice, bob);
      // What the server saw: each request it accepted, and whether its response was sent in full.
      const accepted: { url: string; finished: boolean }[] = [];
      t.app.getHttpServer().on('request', (req: IncomingMessage, res: ServerResponse) => {
        const entry = { url: req.url ?? '', finished: false };
        accepted.push(entry);
        res.on('finish', () => (entry.finished = true));
      });
      const outcomes: { clientId: string; status: number; id?: string; body?: unknown }[] = [];
      const inFlight = Array.from({ length: 40 }, async (_, i) => {
        const clientId = randomUUID();
        const res = await t.http
          .post(`/api/conversations/${conversationId}/messages`)
          .set(bearer(i % 2 ? alice.accessToken : bob.accessToken))
          .send({ clientId, body: `in flight ${i}` })
          .catch(() => ({ status: 0, body: undefined }));
        outcomes.push({ clientId, status: res.status, id: (res.body as { id?: string })?.id, body: res.body });
      });
      // What main.ts does on SIGTERM: shut the app down while requests are running.
      while (accepted.length < 5) await pause(5);
      await Promise.all([shutDown(t.app, 10_000), ...inFlight]);

      expect(outcomes.filter((o) => o.status >= 500)).toEqual([]);
      expect(accepted.filter((request) => !request.finished)).toEqual([]);
      expect(accepted.length).toBe(outcomes.filter((o) => o.status !== 0).length);
      const acknowledged = outcomes.filter((o) => o.status === 201);
      expect(acknowledged.length).toBeGreaterThan(0);
      const { rows } = await direct.query<{ id: string; client_id: string; body: string | null }>(
        'SELECT id, client_id, body FROM messages WHERE conversation_id = $1',
        [conversationId],
      );
      // Every acknowledged send is stored; anything stored that was not acknowledged is whole (a request cut off after its commit).
      const stored = new Map(rows.map((row) => [row.client_id, row.id]));
      for (const o of acknowledged) expect(stored.get(o.clientId)).toBe(o.id);
      for (const row of rows) expect(row.body).toMatch(/^in flight \d+$/);
      const [{ last_seq: lastSeq }] = (await direct.query('SELECT last_seq FROM conversations WHERE id = $1', [conversationId])).rows;
      expect(lastSeq).toBe(rows.length);
      const statuses = outcomes.reduce<Record<number, number>>((count, o) => ({ ...count, [o.status]: (count[o.status] ?? 0) + 1 }), {});
      console.log(`fault: shutdown under load; ${acknowledged.length} of ${outcomes.length} sends acknowledged, ${rows.length} stored; statuses ${JSON.stringify(statuses)}`);
    } finally {
      await direct.end();
      await t.close().catch(() => undefined);
    }
  });
});
