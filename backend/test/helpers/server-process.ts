import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Socket } from 'socket.io-client';

const backend = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Builds the backend if its sources changed since the last build (as `npm start` does). */
export function buildBackend(): void {
  const build = spawnSync(process.execPath, ['../scripts/build-if-stale.mjs', 'backend'], { cwd: backend, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`building the backend failed:\n${build.stdout}\n${build.stderr}`);
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/** The built server (`node dist/main.js`) in its own process, as `npm start` runs it. */
export class ServerProcess {
  output = '';
  readonly exited: Promise<{ code: number | null; at: number }>;

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolveExit) => child.once('exit', (code) => resolveExit({ code, at: Date.now() })));
  }

  /**
   * Starts it with `env` (and nothing else of this process's environment but PATH) and waits until
   * /api/health answers. `ownProcessGroup`: it leads a process group of its own (with its workers), as
   * under systemd, so that `signalGroup` reaches all of them and nothing else.
   */
  static async start(cwd: string, env: Record<string, string>, { ownProcessGroup = false } = {}): Promise<ServerProcess> {
    const port = await freePort();
    const child = spawn(process.execPath, [join(backend, 'dist/main.js')], {
      cwd,
      env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: String(port), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: ownProcessGroup,
    });
    const server = new ServerProcess(child, port);
    const deadline = Date.now() + 90_000;
    while (!(await fetch(`${server.url}/api/health`).then((res) => res.ok, () => false))) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the server did not start:\n${server.output}`);
      await new Promise((resolveWait) => setTimeout(resolveWait, 200));
    }
    return server;
  }

  /** Sends `signal` to every process of its group (started with `ownProcessGroup`). */
  signalGroup(signal: NodeJS.Signals): void {
    process.kill(-this.child.pid!, signal);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The pids of the primary's workers (its child processes). */
  workerPids(): number[] {
    const pid = this.child.pid!;
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  }

  /** Waits until the primary has `count` workers that it reported serving (it logs at LOG_LEVEL=info); resolves with their pids. */
  async waitForWorkers(count: number, timeoutMs = 60_000): Promise<number[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const pids = this.workerPids();
      if (pids.length === count && pids.every((pid) => this.output.includes(`(pid ${pid}) is serving`))) return pids;
      if (Date.now() > deadline) throw new Error(`expected ${count} workers, found ${pids.length}:\n${this.output}`);
      await new Promise((resolveWait) => setTimeout(resolveWait, 200));
    }
  }

  /** The worker holding a connected socket.io-client socket's TCP connection, found through /proc. */
  workerOf(socket: Socket): number {
    const clientPort = (socket.io.engine.transport as unknown as { ws: { _socket: { localPort: number } } }).ws._socket.localPort;
    const inode = serverSideInode(this.port, clientPort);
    const holder = this.workerPids().find((pid) => readdirSync(`/proc/${pid}/fd`).some((fd) => safeReadlink(`/proc/${pid}/fd/${fd}`) === `socket:[${inode}]`));
    if (holder === undefined) throw new Error(`no worker holds the connection from port ${clientPort}`);
    return holder;
  }
}

function serverSideInode(serverPort: number, clientPort: number): string {
  const row = tcpRows().find((r) => r.localPort === serverPort && r.remotePort === clientPort);
  if (!row) throw new Error(`no TCP connection ${serverPort} ← ${clientPort}`);
  return row.inode;
}

function tcpRows(): { localPort: number; remotePort: number; inode: string }[] {
  return ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((file) =>
    readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .map((cols) => ({ localPort: parseInt(cols[1].split(':')[1], 16), remotePort: parseInt(cols[2].split(':')[1], 16), inode: cols[9] })),
  );
}

function safeReadlink(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '';
  }
}
