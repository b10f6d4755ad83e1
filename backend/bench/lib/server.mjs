// Starts the built backend (dist/main.js) as a child process and reads its memory.
import { spawn } from 'node:child_process';
import { openSync, readdirSync, readFileSync } from 'node:fs';
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

/** CPU seconds (user + system) a process has used, from /proc (Linux). */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime, fields 14 and 15 of stat(5), in clock ticks (100 per second on Linux).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Pids of processes whose command name is `name` (e.g. every PostgreSQL backend). */
export function pidsNamed(name) {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === name;
      } catch {
        return false;
      }
    })
    .map(Number);
}
