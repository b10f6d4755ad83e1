// Soak run (not part of CI): the built backend on a scratch database, SOAK_SOCKETS users with a socket
// each, paired as friends, sending, editing, reading and typing for SOAK_SECONDS. Prints the server's
// RSS, heap and event-loop delay over time, and fails if RSS keeps growing in the last third.
//   npm run soak                                   10 minutes, 500 sockets, PGlite in a temporary directory,
//                                                  as `npm start` runs it (in memory, the database itself
//                                                  would grow the process)
//   TEST_DATABASE_URL=postgres://… npm run soak    on a scratch PostgreSQL database (dropped afterwards)
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { io } from 'socket.io-client';
import { api } from '../../scripts/lib/api.mjs';
import { createScratchDatabase } from '../../scripts/lib/scratch-database.mjs';
import { freePort, stopProcess, waitForHealth } from '../../scripts/lib/server.mjs';

const backend = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SECONDS = Number(process.env.SOAK_SECONDS ?? 600);
const SOCKETS = Number(process.env.SOAK_SOCKETS ?? 500);
const SAMPLE_SECONDS = Number(process.env.SOAK_SAMPLE_SECONDS ?? 10);
const PASSWORD = 'soak-password-0123';
const serverUrl = process.env.TEST_DATABASE_URL;

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const pgliteDir = serverUrl ? null : mkdtempSync(join(tmpdir(), 'iris-soak-'));
const scratch = serverUrl ? await createScratchDatabase(serverUrl, 'iris_soak_test') : null;
const databaseUrl = scratch ? scratch.url : `pglite://${pgliteDir}/db`;

const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const server = spawn(process.execPath, ['--import', join(backend, 'scripts/soak-probe.mjs'), join(backend, 'dist/main.js')], {
  env: {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'warn',
    NODE_ENV: 'development',
    AUTH_RATE_LIMIT_PER_MINUTE: '100000',
    SEND_RATE_LIMIT_PER_MINUTE: '100000',
    SOCKET_EVENTS_PER_10_SECONDS: '1000',
    SOAK_SAMPLE_SECONDS: String(SAMPLE_SECONDS),
  },
  stdio: ['ignore', 'ignore', 'pipe'],
});
const samples = [];
let stderrTail = '';
server.stderr.setEncoding('utf8').on('data', (chunk) => {
  for (const line of chunk.split('\n')) {
    if (line.startsWith('soak-probe ')) {
      const sample = { t: samples.length * SAMPLE_SECONDS, ...JSON.parse(line.slice(11)) };
      samples.push(sample);
      console.log(`t=${String(sample.t).padStart(4)} s  rss ${sample.rssMb} MB  heap ${sample.heapMb} MB  loop lag p50 ${sample.lagP50Ms} ms  p99 ${sample.lagP99Ms} ms  max ${sample.lagMaxMs} ms  requests ${stats.requests}  errors ${stats.errors}  events ${stats.events}`);
    } else if (line.trim()) {
      stderrTail = (stderrTail + line + '\n').slice(-4000);
    }
  }
});

const stats = { requests: 0, errors: 0, events: 0 };
/** A call of the load: 4xx answers are counted (a timed message may be gone by the time it is read), a 5xx stops the run. */
async function call(method, path, token, body) {
  stats.requests++;
  const res = await api(base, method, path, { token, body });
  if (res.status >= 400) {
    stats.errors++;
    if (res.status >= 500) throw new Error(`${method} ${path} answered ${res.status}: ${res.text}`);
  }
  return res.json ?? null;
}

const sockets = [];
async function cleanup() {
  for (const socket of sockets) socket.disconnect();
  await stopProcess(server);
  await scratch?.drop();
  if (pgliteDir) rmSync(pgliteDir, { recursive: true, force: true });
}

try {
  await waitForHealth(base, server, 60_000).catch((error) => {
    throw new Error(`${error.message}:\n${stderrTail}`);
  });
  console.log(`soak: ${SOCKETS} users and sockets, ${SECONDS} s, on ${serverUrl ? 'PostgreSQL' : 'PGlite'}; setting up…`);
  const users = [];
  for (let i = 0; i < SOCKETS; i++) {
    const username = `soak_${randomBytes(5).toString('hex')}`;
    const res = await call('POST', '/api/auth/register', null, { username, password: PASSWORD });
    users.push({ id: res.user.id, token: res.accessToken, refreshToken: res.refreshToken });
  }
  const pairs = [];
  for (let i = 0; i + 1 < users.length; i += 2) {
    const [a, b] = [users[i], users[i + 1]];
    const sent = await call('POST', '/api/friends/requests', a.token, { userId: b.id });
    await call('POST', `/api/friends/requests/${sent.request.id}/accept`, b.token);
    // Plaintext: the load sends bodies (encrypting needs a client with devices).
    const conversation = await call('POST', '/api/conversations', a.token, { userId: b.id, encrypted: false });
    pairs.push({ a, b, conversationId: conversation.id });
  }
  for (const user of users) {
    const socket = io(base, { path: '/socket.io', transports: ['websocket'], auth: { token: user.token }, reconnection: false });
    socket.onAny(() => stats.events++);
    sockets.push(socket);
    user.socket = socket;
  }
  await Promise.all(sockets.map((socket) => new Promise((done, reject) => { socket.once('ready', done); socket.once('connect_error', reject); })));
  console.log('soak: running');

  // Access tokens last 15 minutes: refresh them (and reconnect) every 10 minutes of the run.
  const deadline = Date.now() + SECONDS * 1000;
  let nextRefresh = Date.now() + 600_000;
  const worker = async () => {
    while (Date.now() < deadline) {
      const pair = pairs[Math.floor(Math.random() * pairs.length)];
      const [from, to] = Math.random() < 0.5 ? [pair.a, pair.b] : [pair.b, pair.a];
      const roll = Math.random();
      if (roll < 0.5) {
        const message = await call('POST', `/api/conversations/${pair.conversationId}/messages`, from.token, {
          clientId: randomUUID(),
          body: `soak ${randomBytes(16).toString('hex')}`,
          ...(Math.random() < 0.2 ? { expiresInSeconds: 5 } : {}),
        });
        if (Math.random() < 0.1) await call('PATCH', `/api/messages/${message.id}`, from.token, { body: 'edited' });
        if (Math.random() < 0.05) await call('DELETE', `/api/messages/${message.id}`, from.token);
        else if (Math.random() < 0.5) await call('POST', `/api/conversations/${pair.conversationId}/read`, to.token, { messageId: message.id });
      } else if (roll < 0.75) {
        await call('GET', `/api/conversations/${pair.conversationId}/messages?limit=50`, from.token);
      } else if (roll < 0.9) {
        await call('GET', '/api/conversations', from.token);
      } else {
        from.socket.emit('typing', { conversationId: pair.conversationId });
      }
      if (Date.now() > nextRefresh) {
        nextRefresh = Date.now() + 600_000;
        for (const user of users) {
          const res = await call('POST', '/api/auth/refresh', null, { refreshToken: user.refreshToken });
          Object.assign(user, { token: res.accessToken, refreshToken: res.refreshToken });
          user.socket.auth = { token: user.token };
          user.socket.disconnect().connect();
        }
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  await new Promise((done) => setTimeout(done, SAMPLE_SECONDS * 1000 + 500));

  // Leveled off: the typical RSS of the last third (its median) is not more than 10 % of the peak above
  // that of the middle third. Medians, because RSS swings by the heap's size between two collections,
  // and one sample taken at the top of a swing is not growth.
  const rss = samples.map((s) => s.rssMb);
  const [middle, last] = [rss.slice(Math.floor(rss.length / 3), Math.floor((rss.length * 2) / 3)), rss.slice(Math.floor((rss.length * 2) / 3))];
  const grewBy = last.length > 0 && middle.length > 0 ? median(last) - median(middle) : 0;
  const peak = Math.max(...rss);
  console.log(
    `soak: ${stats.requests} requests (${stats.errors} 4xx), ${stats.events} socket events; RSS peak ${peak} MB, ` +
      `median ${median(middle)} MB in the middle third and ${median(last)} MB in the last (growth ${grewBy} MB)`,
  );
  if (grewBy > peak * 0.1) {
    console.error('soak: RSS kept growing in the last third of the run');
    process.exitCode = 1;
  }
} catch (error) {
  console.error(`soak: ${error.stack ?? error}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
