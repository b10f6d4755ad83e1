// Starts the built backend (dist/main.js) as a child process and reads its memory.
import { spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { freePort, stopProcess, waitForHealth } from '../../../scripts/lib/server.mjs';

/**
 * Runs `node dist/main.js` in `cwd` with `env` on a free port; resolves once /api/health answers (with
 * WORKERS > 1, once the first worker does: see `waitForWorkers`). `rssMb` adds up the primary and its workers.
 * `logFile`: the server's stdout (its log) goes there instead of the bench's output.
 * @returns {Promise<{ base: string, port: number, pid: number, rssMb: () => number, stop: () => Promise<void> }>}
 */
export async function startServer({ mainJs, nodeArgs = [], cwd, env, logFile, timeoutMs = 120_000 }) {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, mainJs], {
    cwd,
    stdio: ['ignore', logFile ? openSync(logFile, 'a') : 'inherit', 'inherit'],
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
    port,
    pid: child.pid,
    rssMb: () => processTree(child.pid).reduce((sum, pid) => sum + rssMb(pid), 0),
    stop: () => stopProcess(child, 15_000),
  };
}

/** Resident set size of a process, from /proc (Linux). */
export function rssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

/** A process and its children (the workers of a primary), pids. */
export function processTree(pid) {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  return [pid, ...children.flatMap(processTree)];
}
