import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import supertest from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { randomUUID } from 'node:crypto';
import { createScratchDatabase, type ScratchDatabase } from '../src/database/scratch-database.js';
import { befriend, openConversation } from './helpers/friends.js';
import { deleteRedisKeys, redisAvailable, TEST_REDIS_URL, uniqueRedisPrefix } from './helpers/redis.js';
import { buildBackend, ServerProcess } from './helpers/server-process.js';
import { closeSockets, connect, type TestSocket } from './helpers/sockets.js';
import { TEST_JWT_SECRET, testServerUrl } from './helpers/test-app.js';
import { bearer, PASSWORD, register, type Registered } from './helpers/users.js';

const SHUTDOWN_TIMEOUT_MS = 3_000;
// Five registrations in the first describe, and the logins of the limit test (counted apart, per route).
const AUTH_LIMIT = 5;

interface Presence {
  userId: string;
  online: boolean;
}
const presenceOf = (userId: string, online: boolean) => (p: Presence) => p.userId === userId && p.online === online;

/** Two workers of one server on a database (and a Redis key prefix) of their own. */
async function startTwoWorkers(
  scratch: ScratchDatabase,
  workDir: string,
  env: Record<string, string> = {},
  options: { ownProcessGroup?: boolean } = {},
): Promise<ServerProcess> {
  const server = await ServerProcess.start(
    workDir,
    {
      NODE_ENV: 'production',
      JWT_SECRET: TEST_JWT_SECRET,
      DATABASE_URL: scratch.url,
      UPLOAD_DIR: join(workDir, 'uploads'),
      // The primary's "worker is serving" lines and the request log (with each worker's pid) are read below.
      LOG_LEVEL: 'info',
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
      AUTH_RATE_LIMIT_PER_MINUTE: String(AUTH_LIMIT),
      WORKERS: '2',
      ...env,
    },
    options,
  );
  await server.waitForWorkers(2);
  return server;
}

/** Alice's and Bob's sockets, on different workers (connections go to the workers in turn). */
async function onTwoWorkers(server: ServerProcess, alice: Registered, bob: Registered): Promise<{ aliceSocket: TestSocket; bobSocket: TestSocket }> {
  const aliceSocket = await connect(server.url, alice.accessToken);
  for (let attempt = 0; attempt < 6; attempt++) {
    const bobSocket = await connect(server.url, bob.accessToken);
    if (server.workerOf(bobSocket.socket) !== server.workerOf(aliceSocket.socket)) return { aliceSocket, bobSocket };
    bobSocket.close();
  }
  throw new Error('every socket landed on the same worker');
}

/** Messages and presence between two users whose sockets are on different workers. */
async function exchangeAcrossWorkers(server: ServerProcess, http: TestAgent): Promise<void> {
  const alice = await register(http);
  const bob = await register(http);
  await befriend(http, alice, bob);
  const conversationId = await openConversation(http, alice, bob);
  const { aliceSocket, bobSocket } = await onTwoWorkers(server, alice, bob);

  await aliceSocket.waitFor('presence', presenceOf(bob.id, true));
  expect(bobSocket.of('presence')).toContainEqual({ userId: alice.id, online: true });

  const toBob = (await http.post(`/api/conversations/${conversationId}/messages`).set(bearer(alice.accessToken)).send({ clientId: randomUUID(), body: 'hi bob' }).expect(201)).body;
  expect(await bobSocket.waitFor('message.created', (m: { id: string }) => m.id === toBob.id)).toEqual(toBob);
  const toAlice = (await http.post(`/api/conversations/${conversationId}/messages`).set(bearer(bob.accessToken)).send({ clientId: randomUUID(), body: 'hi alice' }).expect(201)).body;
  expect(await aliceSocket.waitFor('message.created', (m: { id: string }) => m.id === toAlice.id)).toEqual(toAlice);

  bobSocket.close();
  await aliceSocket.waitFor('presence', presenceOf(bob.id, false));
}

/**
 * SIGTERM to the primary (or, with `toGroup`, to the primary and every worker at once, as systemd
 * stops a service): every worker stops, and the primary exits 0 within SHUTDOWN_TIMEOUT_MS (+1 s of slack).
 */
async function stopsCleanly(server: ServerProcess, { toGroup = false } = {}): Promise<void> {
  const workers = server.workerPids();
  const signalled = Date.now();
  if (toGroup) server.signalGroup('SIGTERM');
  else server.child.kill('SIGTERM');
  const { code, at } = await server.exited;
  expect({ code, output: code === 0 ? '' : server.output }).toEqual({ code: 0, output: '' });
  expect(at - signalled).toBeLessThanOrEqual(SHUTDOWN_TIMEOUT_MS + 1_000);
  expect(workers.filter((pid) => isAlive(pid))).toEqual([]);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// Several processes share one database: PostgreSQL only (an embedded PGlite runs one worker).
const onPostgres = testServerUrl() ? describe : describe.skip;

onPostgres('WORKERS=2 without Redis (e2e, the built server, PostgreSQL only)', () => {
  let scratch: ScratchDatabase;
  let workDir: string;
  let server: ServerProcess;
  let http: TestAgent;
  beforeAll(async () => {
    buildBackend();
    scratch = await createScratchDatabase(testServerUrl()!);
    workDir = mkdtempSync(join(tmpdir(), 'iris-workers-'));
    server = await startTwoWorkers(scratch, workDir, { EXPIRY_SWEEP_INTERVAL_SECONDS: '1' });
    // A new connection per request (no keep-alive agent), so the primary hands requests to the workers in turn.
    http = supertest(server.url) as unknown as TestAgent;
  }, 120_000);
  afterEach(() => closeSockets());
  afterAll(async () => {
    server?.child.kill('SIGKILL');
    await scratch?.drop();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('delivers messages and presence live between users whose sockets are on different workers', async () => {
    await exchangeAcrossWorkers(server, http);
  });

  it('refuses the login over AUTH_RATE_LIMIT_PER_MINUTE from one address whichever worker takes it', async () => {
    const user = await register(http);
    const statuses: number[] = [];
    for (let i = 0; i < 2 * AUTH_LIMIT; i++) {
      statuses.push((await http.post('/api/auth/login').send({ username: user.username, password: PASSWORD })).status);
    }
    expect(statuses).toEqual([...Array<number>(AUTH_LIMIT).fill(200), ...Array<number>(AUTH_LIMIT).fill(429)]);
    const servedBy = new Set([...server.output.matchAll(/"pid":(\d+)[^\n]*"url":"\/api\/auth\/login"/g)].map((match) => match[1]));
    expect(servedBy.size).toBe(2);
  });

  it('runs the expiry sweep in one worker: its runs are an interval apart, not two per interval', async () => {
    const db = new pg.Client({ connectionString: scratch.url });
    await db.connect();
    try {
      let starts: number[] = [];
      const deadline = Date.now() + 20_000;
      while (starts.length < 6 && Date.now() < deadline) {
        const { rows } = await db.query<{ started_at: Date }>(`SELECT started_at FROM job_runs WHERE job = 'message-expiry' ORDER BY started_at`);
        starts = rows.map((row) => row.started_at.getTime());
        await new Promise((resolveWait) => setTimeout(resolveWait, 250));
      }
      expect(starts.length).toBeGreaterThanOrEqual(6);
      // Every 1 s in one worker; two workers sweeping would interleave, some runs less than half a second apart.
      const gaps = starts.slice(1).map((at, index) => at - starts[index]);
      expect(gaps.filter((gap) => gap < 500)).toEqual([]);
    } finally {
      await db.end();
    }
  }, 30_000);

  it("starts a worker again after it crashed, and friends see the crashed worker's users go offline", async () => {
    const alice = await register(http);
    const bob = await register(http);
    await befriend(http, alice, bob);
    const { aliceSocket, bobSocket } = await onTwoWorkers(server, alice, bob);
    const crashed = server.workerOf(bobSocket.socket);

    process.kill(crashed, 'SIGKILL');
    await bobSocket.disconnected();
    // The next upkeep (every 10 s) of the worker still running tells Bob's friends.
    await aliceSocket.waitFor('presence', presenceOf(bob.id, false), 15_000);
    const workers = await server.waitForWorkers(2);
    expect(workers).not.toContain(crashed);
    expect(server.output).toMatch(/Worker \d \(pid \d+\) was killed \(SIGKILL\); starting it again in \d+ ms/);
    await http.get('/api/health').expect(200);
  }, 60_000);

  it('stops every worker on SIGTERM to the primary and exits 0', async () => {
    await stopsCleanly(server);
  }, 30_000);
});

onPostgres('WORKERS=2 stopped as systemd stops a service (e2e, the built server, PostgreSQL only)', () => {
  let scratch: ScratchDatabase;
  let workDir: string;
  let server: ServerProcess;
  beforeAll(async () => {
    buildBackend();
    scratch = await createScratchDatabase(testServerUrl()!);
    workDir = mkdtempSync(join(tmpdir(), 'iris-workers-group-'));
    server = await startTwoWorkers(scratch, workDir, {}, { ownProcessGroup: true });
  }, 120_000);
  afterAll(async () => {
    // Whatever is left of the group when the test failed; none of it (ESRCH) when it passed.
    if (server?.child.exitCode === null) {
      try {
        server.signalGroup('SIGKILL');
      } catch {
        // the group has already gone
      }
    }
    await scratch?.drop();
    rmSync(workDir, { recursive: true, force: true });
  });

  // Each worker gets two SIGTERMs, the group's and its primary's; the second ended it before it had stopped.
  it('stops every worker once and exits 0 when SIGTERM reaches the whole process group', async () => {
    await stopsCleanly(server, { toGroup: true });
    expect(server.output.match(/SIGTERM: stopping within/g)).toHaveLength(2);
  }, 30_000);
});

const withRedis = testServerUrl() && (await redisAvailable()) ? describe : describe.skip;

withRedis('WORKERS=2 with Redis (e2e, the built server; needs PostgreSQL and Redis)', () => {
  const prefix = uniqueRedisPrefix();
  let scratch: ScratchDatabase;
  let workDir: string;
  let server: ServerProcess;
  let http: TestAgent;
  beforeAll(async () => {
    buildBackend();
    scratch = await createScratchDatabase(testServerUrl()!);
    workDir = mkdtempSync(join(tmpdir(), 'iris-workers-redis-'));
    server = await startTwoWorkers(scratch, workDir, { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix });
    http = supertest(server.url) as unknown as TestAgent;
  }, 120_000);
  afterEach(() => closeSockets());
  afterAll(async () => {
    server?.child.kill('SIGKILL');
    await scratch?.drop();
    await deleteRedisKeys(prefix);
    rmSync(workDir, { recursive: true, force: true });
  });

  it('delivers messages and presence live between users whose sockets are on different workers', async () => {
    await exchangeAcrossWorkers(server, http);
  });

  it('stops every worker on SIGTERM to the primary and exits 0', async () => {
    await stopsCleanly(server);
  }, 30_000);
});
