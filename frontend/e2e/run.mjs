// Runs the Playwright tests against the production build served by the built backend, on a fresh
// PostgreSQL database that is created here and dropped afterwards. Expects `npm run build` to have run.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createScratchDatabase } from '../../scripts/lib/scratch-database.mjs';
import { freePort, stopProcess, waitForHealth } from '../../scripts/lib/server.mjs';

const frontend = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const root = resolve(frontend, '..');
const serverUrl = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

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

const workDir = mkdtempSync(join(tmpdir(), 'iris-e2e-'));
let database;
let server;
let status = 1;

async function cleanUp() {
  if (server) await stopProcess(server);
  await database?.drop();
  rmSync(workDir, { recursive: true, force: true });
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => void cleanUp().finally(() => process.exit(130)));
}

try {
  database = await createScratchDatabase(serverUrl, 'iris_e2e_test');
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
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      ...env,
      DATABASE_URL: database.url,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      UPLOAD_DIR: join(workDir, 'uploads'),
      EXPIRY_SWEEP_INTERVAL_SECONDS: '1',
      AUTH_RATE_LIMIT_PER_MINUTE: '1000',
      ADMIN_USERNAME: adminUsername,
      ADMIN_PASSWORD: adminPassword,
    },
  });
  await waitForHealth(base, server, 60_000);
  const cli = createRequire(import.meta.url).resolve('@playwright/test/cli');
  status = await run(process.execPath, [cli, 'test', '-c', join(frontend, 'playwright.config.ts'), ...process.argv.slice(2)], {
    cwd: frontend,
    env: { ...process.env, BASE_URL: base, E2E_ADMIN_USERNAME: adminUsername, E2E_ADMIN_PASSWORD: adminPassword },
  });
} catch (error) {
  console.error(`e2e: ${error instanceof Error ? error.message : error}`);
  status = 1;
} finally {
  await cleanUp();
}
process.exit(status);
