// Starts the built backend (dist/main.js) as a child process and reads its memory.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export function freePort() {
  return new Promise((done, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

/**
 * Runs `node dist/main.js` in `cwd` with `env` on a free port; resolves once /api/health answers.
 * @returns {Promise<{ base: string, pid: number, rssMb: () => number, stop: () => Promise<void> }>}
 */
export async function startServer({ mainJs, nodeArgs = [], cwd, env, timeoutMs = 120_000 }) {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, mainJs], {
    cwd,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...env, HOST: '127.0.0.1', PORT: String(port) },
  });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the backend exited with code ${child.exitCode}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('the backend did not become healthy in time');
    }
    try {
      if ((await fetch(`${base}/api/health`)).ok) break;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  return {
    base,
    pid: child.pid,
    rssMb: () => rssMb(child.pid),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Resident set size of a process, from /proc (Linux). */
export function rssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}
