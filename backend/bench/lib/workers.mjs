// The `workers` scenario: the same server with WORKERS=1 and WORKERS=2 on PostgreSQL, one after the
// other: the plain send (throughput, p99) and the fan-out to connected sockets, with the CPU split
// between the server's processes, PostgreSQL and this load generator.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectSockets, fanOut } from './fanout.mjs';
import { httpLoad } from './http.mjs';
import { cpuBetween, cpuReading } from './procfs.mjs';
import { processTree } from './server.mjs';

/**
 * For each count in `counts`: starts the server with WORKERS=count (`start(env)` → startServer's
 * answer), waits for every worker, warms up, measures the send at `connections` for `seconds`, then
 * connects a socket per user of `pairs` and sends `fanoutRate` messages/s to them for `seconds`.
 */
export async function measureWorkers({ counts, start, database, pairs, sendRequests, connections, seconds, warmup, fanoutRate, settle, log }) {
  const runs = [];
  for (const count of counts) {
    const server = await start({ WORKERS: String(count) });
    try {
      await waitForWorkers(server, count);
      await sleep(3000);
      const idleMb = server.rssMb();
      await httpLoad({ base: server.base, connections: 16, seconds: warmup, next: sendRequests(pairs) });
      await settle();
      log(`workers=${count}: send, ${connections} connections, ${seconds} s`);
      const before = cpuReading({ serverPid: server.pid, database });
      const send = await httpLoad({ base: server.base, connections, seconds, next: sendRequests(pairs) });
      const split = cpuSplit(server.pid, before, cpuReading({ serverPid: server.pid, database }));
      const sendMb = server.rssMb();

      log(`workers=${count}: fan-out to ${pairs.length * 2} sockets at ${fanoutRate}/s`);
      const sockets = await connectSockets(server.base, pairs.flatMap((pair) => [pair.firstToken, pair.secondToken]));
      await sleep(2000);
      const socketsMb = server.rssMb();
      const fan = await fanOut({
        base: server.base,
        pairs: pairs.map((pair) => ({ conversationId: pair.conversationId, senderToken: pair.firstToken })),
        sockets: { receivers: sockets.filter((_, i) => i % 2 === 1) },
        rate: fanoutRate,
        seconds,
      });
      for (const socket of sockets) socket.disconnect();
      runs.push({ workers: count, send, split, fan, memory: { idleMb, sendMb, socketsMb, sockets: sockets.length } });
    } finally {
      await server.stop();
    }
  }
  return runs;
}

/** Resolves once each of the primary's `count` workers has taken a connection (so all of them serve). */
export async function waitForWorkers(server, count, timeoutMs = 120_000) {
  if (count === 1) return;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const workers = processTree(server.pid).slice(1);
    if (workers.length === count) {
      const holders = await connectionHolders(server.port, workers, 2 * count);
      if (holders.size === count) return;
    }
    await sleep(500);
  }
  throw new Error(`not all ${count} workers were serving within ${timeoutMs / 1000} s`);
}

/** Opens `n` kept-alive connections with a request each, and answers which of `pids` hold their server side. */
async function connectionHolders(port, pids, n) {
  const sockets = await Promise.all(
    Array.from({ length: n }, () => new Promise((done, fail) => {
      const socket = connect(port, '127.0.0.1', () => socket.write('GET /api/health HTTP/1.1\r\nHost: bench\r\nConnection: keep-alive\r\n\r\n'));
      socket.once('data', () => done(socket));
      socket.once('error', fail);
    })),
  );
  try {
    const inodes = new Map();
    for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
      for (const line of readFileSync(file, 'utf8').trim().split('\n').slice(1)) {
        const cols = line.trim().split(/\s+/);
        if (parseInt(cols[1].split(':')[1], 16) === port) inodes.set(parseInt(cols[2].split(':')[1], 16), cols[9]);
      }
    }
    const wanted = new Set(sockets.map((socket) => `socket:[${inodes.get(socket.localPort)}]`));
    const holders = new Set();
    for (const pid of pids) {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        try {
          if (wanted.has(readlinkSync(`/proc/${pid}/fd/${fd}`))) holders.add(pid);
        } catch {
          // closed meanwhile
        }
      }
    }
    return holders;
  } finally {
    for (const socket of sockets) socket.destroy();
  }
}

/**
 * The CPU used between two readings, in cores (CPU seconds per second): the primary and each of its
 * workers apart, PostgreSQL (the bench database's backends and the WAL writer, checkpointer and
 * background writer), this process, and the whole machine.
 */
function cpuSplit(primaryPid, before, after) {
  const { cores } = cpuBetween(before, after);
  const seconds = (after.at - before.at) / 1000;
  const used = (pid) => (after.server.get(pid) - (before.server.get(pid) ?? 0)) / 1000 / seconds;
  return {
    primary: used(primaryPid),
    workers: [...after.server.keys()].filter((pid) => pid !== primaryPid).map(used),
    postgres: cores.postgres,
    generator: cores.load,
    machine: cores.machine,
    cores: availableParallelism(),
  };
}

/** The scenario's entry for results.json and the table: WORKERS=N's figures, with the scaling from 1 in the notes. */
export function workersResult(runs, fanoutRate) {
  const one = runs.find((run) => run.workers === 1);
  const most = runs.at(-1);
  const scaling = one ? most.send.perSecond / one.send.perSecond : undefined;
  const cores = (value) => value.toFixed(2);
  return {
    name: 'workers',
    app: { ...most.send, workers: most.workers },
    runs,
    scaling,
    target: `WORKERS=${most.workers} send ≥ 1.5 × WORKERS=1`,
    holds: scaling >= 1.5 && runs.every((run) => run.send.errors === 0 && run.fan.lost === 0),
    notes: runs.map(
      (run) =>
        `WORKERS=${run.workers}: send ${Math.round(run.send.perSecond)}/s p50 ${run.send.p50} p99 ${run.send.p99} ms (${run.send.errors} errors); ` +
        `fan-out at ${fanoutRate}/s to ${run.memory.sockets} sockets p50 ${run.fan.p50?.toFixed(1)} p99 ${run.fan.p99?.toFixed(1)} ms, ${run.fan.lost} lost; ` +
        `CPU during the send (cores): server ${cores(run.split.primary + run.split.workers.reduce((a, b) => a + b, 0))}${run.split.workers.length > 0 ? ` (primary ${cores(run.split.primary)}, workers ${run.split.workers.map(cores).join(' + ')})` : ''}, ` +
        `PostgreSQL ${cores(run.split.postgres)}, load generator ${cores(run.split.generator)}, machine ${cores(run.split.machine)} of ${run.split.cores}; ` +
        `RSS of all processes ${run.memory.idleMb.toFixed(0)} MB idle, ${run.memory.sendMb.toFixed(0)} MB after the send, ${run.memory.socketsMb.toFixed(0)} MB with the sockets`,
    ).concat(scaling ? [`send throughput WORKERS=${most.workers} / WORKERS=1 = ${scaling.toFixed(2)} ×`] : []),
  };
}
