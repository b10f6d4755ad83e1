// Runs the Playwright tests against the production build served by the built backend, on a fresh
// PostgreSQL database that is created here and dropped afterwards, and a Redis database of its own
// (emptied before and after), as a scaled-out deployment runs. Expects `npm run build` to have run.
// The specs get what they need to look at everything the server stored (e2e/server-dump.ts).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { claimRedisDatabase } from '../../scripts/lib/redis-database.mjs';
import { createScratchDatabase } from '../../scripts/lib/scratch-database.mjs';
import { freePort, stopProcess, waitForHealth } from '../../scripts/lib/server.mjs';

const frontend = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const root = resolve(frontend, '..');
const serverUrl = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const redisServerUrl = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';

function fail(message) {
  console.error(`e2e: ${message}`);
  process.exit(1);
}

for (const [what, path] of [
  ['the backend build', join(root, 'backend/dist/main.js')],
  ['the frontend build', join(frontend, 'dist/iris/browser/index.html')],
]) {
  if (!existsSync(path)) fail(`${what} is missing (${path}); run \`npm run e2e\` from the repository root, which builds first.`);
}

function run(command, args, options) {
  return new Promise((done) => {
    const child = spawn(command, args, { stdio: 'inherit', ...options });
    child.on('exit', (code, signal) => done(code ?? (signal ? 1 : 0)));
  });
}

/** On stdout, Fastify's JSON lines below warn (40) and Nest's LOG, DEBUG and VERBOSE lines go to the file only. */
function worthEchoing(line) {
  const nest = /^\[Nest\] \d+ +- .*? (LOG|DEBUG|VERBOSE|WARN|ERROR|FATAL) /.exec(line);
  if (nest) return !['LOG', 'DEBUG', 'VERBOSE'].includes(nest[1]);
  try {
    return JSON.parse(line).level >= 40;
  } catch {
    return true;
  }
}

/** Writes every line of the server's output to `log`, echoing stderr and warnings to the console. */
function captureOutput(child, log) {
  const streams = [
    [child.stdout, process.stdout, worthEchoing],
    [child.stderr, process.stderr, () => true],
  ];
  return Promise.all(
    streams.map(
      ([from, to, echo]) =>
        new Promise((done) => {
          const lines = createInterface({ input: from, crlfDelay: Infinity });
          lines.on('line', (line) => {
            log.write(`${line}\n`);
            if (echo(line)) to.write(`${line}\n`);
          });
          lines.on('close', done);
        }),
    ),
  );
}

const workDir = mkdtempSync(join(tmpdir(), 'iris-e2e-'));
const logPath = join(workDir, 'server.log');
const log = createWriteStream(logPath);
let database;
let redis;
let server;
let output;
let status = 1;

async function cleanUp() {
  if (server) await stopProcess(server);
  await output;
  await new Promise((done) => log.end(done));
  if (status !== 0 && server) {
    // Playwright empties test-results/ when it starts, so this is the log of the last run.
    mkdirSync(join(frontend, 'test-results'), { recursive: true });
    copyFileSync(logPath, join(frontend, 'test-results/server.log'));
    console.error(`e2e: the server's log is in ${join(frontend, 'test-results/server.log')}`);
  }
  await database?.drop();
  await redis?.release();
  rmSync(workDir, { recursive: true, force: true });
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => void cleanUp().finally(() => process.exit(130)));
}

try {
  redis = await claimRedisDatabase(redisServerUrl, `e2e ${process.pid} ${randomBytes(4).toString('hex')}`).catch((error) => {
    throw new Error(`${error.message}. The browser tests need Redis (TEST_REDIS_URL, default redis://127.0.0.1:6379): start redis-server as .ci/run does.`);
  });
  database = await createScratchDatabase(serverUrl, 'iris_e2e_test');
  const uploadDir = join(workDir, 'uploads');
  const redisKeyPrefix = `iris-e2e-${randomBytes(4).toString('hex')}:`;
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = { ...process.env };
  for (const name of ['REDIS_URL', 'S3_ENDPOINT', 'ADMIN_USERNAME', 'ADMIN_PASSWORD', 'NODE_ENV']) delete env[name];
  // The backend creates this admin at start-up; the specs get its credentials, nothing else changes for them.
  const adminUsername = 'e2e_admin';
  const adminPassword = randomBytes(18).toString('base64url');
  server = spawn(process.execPath, [join(root, 'backend/dist/main.js')], {
    // A directory of its own: no .env is read, and uploads land in it.
    cwd: workDir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...env,
      DATABASE_URL: database.url,
      // Channels are not per database: a prefix of its own keeps the Socket.IO traffic of two runs apart.
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: redisKeyPrefix,
      HOST: '127.0.0.1',
      PORT: String(port),
      // Every request is logged, so the specs that scan the log (server-dump.ts) see all the server says.
      LOG_LEVEL: 'trace',
      NO_COLOR: '1',
      UPLOAD_DIR: uploadDir,
      EXPIRY_SWEEP_INTERVAL_SECONDS: '1',
      AUTH_RATE_LIMIT_PER_MINUTE: '1000',
      // One process, so that health answering means the whole server is up; several workers have
      // their own tests (backend/test/workers.e2e-spec.ts).
      WORKERS: '1',
      ADMIN_USERNAME: adminUsername,
      ADMIN_PASSWORD: adminPassword,
    },
  });
  output = captureOutput(server, log);
  await waitForHealth(base, server, 60_000);
  const cli = createRequire(import.meta.url).resolve('@playwright/test/cli');
  status = await run(process.execPath, [cli, 'test', '-c', join(frontend, 'playwright.config.ts'), ...process.argv.slice(2)], {
    cwd: frontend,
    env: {
      ...process.env,
      BASE_URL: base,
      E2E_ADMIN_USERNAME: adminUsername,
      E2E_ADMIN_PASSWORD: adminPassword,
      E2E_DATABASE_URL: database.url,
      E2E_REDIS_URL: redis.url,
      E2E_REDIS_KEY_PREFIX: redisKeyPrefix,
      E2E_UPLOAD_DIR: uploadDir,
      E2E_SERVER_LOG: logPath,
    },
  });
} catch (error) {
  console.error(`e2e: ${error instanceof Error ? error.message : error}`);
  status = 1;
} finally {
  await cleanUp();
}
process.exit(status);
