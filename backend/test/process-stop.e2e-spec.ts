import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createScratchDatabase, type ScratchDatabase } from '../src/database/scratch-database.js';
import { TEST_JWT_SECRET, testServerUrl } from './helpers/test-app.js';

const backend = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TIMEOUT_MS = 3_000;

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/** GET /api/health on a keep-alive agent; resolves with the status and the Connection header. */
function health(agent: Agent, port: number): Promise<{ status: number; connection?: string }> {
  return new Promise((resolveAnswer, reject) => {
    get({ agent, host: '127.0.0.1', port, path: '/api/health' }, (res) => {
      res.resume();
      res.on('end', () => resolveAnswer({ status: res.statusCode ?? 0, connection: res.headers.connection }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

// The real process, built as `npm start` runs it, on a database of its own: PostgreSQL only.
const onPostgres = testServerUrl() ? describe : describe.skip;

onPostgres('the server process on SIGTERM (e2e, PostgreSQL only)', () => {
  let scratch: ScratchDatabase;
  let workDir: string;
  let server: ChildProcess | undefined;
  beforeAll(async () => {
    const build = spawnSync(process.execPath, ['../scripts/build-if-stale.mjs', 'backend'], { cwd: backend, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`building the backend failed:\n${build.stdout}\n${build.stderr}`);
    scratch = await createScratchDatabase(testServerUrl()!);
    workDir = mkdtempSync(join(tmpdir(), 'iris-stop-'));
  });
  afterAll(async () => {
    server?.kill('SIGKILL');
    await scratch?.drop();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('exits with status 0 within SHUTDOWN_TIMEOUT_MS + 1 s while four clients loop on kept-alive connections, none of them reset', async () => {
    const port = await freePort();
    const env = {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      JWT_SECRET: TEST_JWT_SECRET,
      DATABASE_URL: scratch.url,
      HOST: '127.0.0.1',
      PORT: String(port),
      UPLOAD_DIR: join(workDir, 'uploads'),
      LOG_LEVEL: 'warn',
      SHUTDOWN_TIMEOUT_MS: String(TIMEOUT_MS),
      // One server process: the drain of a process is what this checks. With several workers a client's
      // new connection in the last moment can be reset rather than refused (deployment.md, Several
      // workers); their stop is checked in workers.e2e-spec.ts.
      WORKERS: '1',
    };
    const child = spawn(process.execPath, [join(backend, 'dist/main.js')], { cwd: workDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    server = child;
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<{ code: number | null; at: number }>((resolveExit) => child.once('exit', (code) => resolveExit({ code, at: Date.now() })));

    const probe = new Agent();
    const deadline = Date.now() + 60_000;
    while ((await health(probe, port).catch(() => ({ status: 0 }))).status !== 200) {
      if (Date.now() > deadline) throw new Error(`the server did not start:\n${output}`);
      await new Promise((resolveWait) => setTimeout(resolveWait, 200));
    }
    probe.destroy();

    const failures: string[] = [];
    let told = 0;
    const loop = async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      let answers = 0;
      for (;;) {
        try {
          const answer = await health(agent, port);
          answers += 1;
          if (answer.connection === 'close') told += 1;
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
          if (code !== 'ECONNREFUSED') failures.push(code);
          agent.destroy();
          return answers;
        }
      }
    };
    const loops = [loop(), loop(), loop(), loop()];
    await new Promise((resolveWait) => setTimeout(resolveWait, 500));

    const signalled = Date.now();
    child.kill('SIGTERM');
    const { code, at } = await exited;
    const answers = await Promise.all(loops);
    if (process.env.IRIS_PRINT_TIMINGS) console.log(`SIGTERM to exit: ${at - signalled} ms; answers per client ${answers.join(', ')}; ${told} told to close`);

    expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
    expect(at - signalled).toBeLessThanOrEqual(TIMEOUT_MS + 1_000);
    expect(failures).toEqual([]);
    expect(answers.every((count) => count > 0)).toBe(true);
    expect(told).toBeGreaterThanOrEqual(1);
  }, 120_000);
});
