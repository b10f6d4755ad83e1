// Starts the built backend (dist/main.js) as a child process and reads its memory.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { freePort, stopProcess, waitForHealth } from '../../../scripts/lib/server.mjs';

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
  try {
    await waitForHealth(base, child, timeoutMs);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    base,
    pid: child.pid,
    rssMb: () => rssMb(child.pid),
    stop: () => stopProcess(child, 15_000),
  };
}

/** Resident set size of a process, from /proc (Linux). */
export function rssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}
