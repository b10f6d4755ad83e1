// Send → deliver under a fixed offered rate, stepped up: connected friend pairs (a socket per user)
// send to each other (`message.send` over the sender's socket with an ack, as the web client does, or
// over REST) while idle clients stay connected, and each message is timed from the
// moment its send was scheduled to the peer's socket receiving `message.created`. Open loop: sends go
// out on schedule whether or not the earlier ones have been answered, so a server that falls behind
// shows it as latency and loss rather than by being asked less. Runs against any server (a base URL
// and tokens of users the caller seeded), so the same ladder can be run on one process or several.
import { existsSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectSockets } from './fanout.mjs';
import { cpuBetween, cpuReading } from './procfs.mjs';
import { Samples } from './stats.mjs';

/** The scheduler wakes this often and sends everything that has come due. */
const TICK_MS = 5;
/** After a step's last send has been answered, how long its messages still have to arrive before they count as lost. */
const DRAIN_MS = 3000;
/** Between steps: the backlog of one step must not weigh on the next. */
const PAUSE_MS = 1000;
/** A socket send whose ack has not come by then counts as failed. */
const ACK_TIMEOUT_MS = 30_000;
/** How the pairs send: `socket` (`message.send` with an ack) or `rest` (`POST /api/conversations/:id/messages`). */
export const TRANSPORTS = ['socket', 'rest'];

/**
 * Runs the ladder against one server: for each rate of `rates` (messages/s), `stepSeconds` of sends
 * spread evenly over `pairs`, alternating direction within each pair. Stops after the first step whose
 * p99 exceeds `stopAboveMs` (or that lost messages), as every higher rate would too.
 *
 * @param {object} options
 * @param {string} options.base the server, e.g. http://127.0.0.1:3000
 * @param {{ conversationId: string, first: string, second: string, firstToken: string, secondToken: string }[]} options.pairs
 * @param {string[]} options.idleTokens tokens of other users, each connected as an idle client
 * @param {number[]} options.rates
 * @param {number} options.stepSeconds
 * @param {{ serverPid: number, database?: string }} options.processes whose CPU and memory to read
 * @param {(line: string) => void} [options.log]
 * @param {number} [options.stopAboveMs]
 * @param {string} [options.probeFile] where the server's loop probe (loop-probe.mjs) writes, if it runs
 * @param {'socket' | 'rest'} [options.transport] how the pairs send (default `socket`)
 */
export async function deliverLadder({ base, processes, probeFile, transport, ...options }) {
  const [ladder] = await compareLadders({ ...options, servers: [{ name: base, base, processes, probeFile, transport }] });
  return ladder;
}

/**
 * The same ladder on several servers at once (the same build with other settings, WORKERS=1 and 2,
 * another build), each with its own clients connected throughout, the steps taken in turn at each rate
 * (A B, then B A at the next): a change in what else loads the machine weighs on all of them alike.
 * `servers`: [{ name, base, processes, probeFile?, transport?, echo? }] (`transport`: `socket`, the
 * default, or `rest`; `echo`, REST only: the sends do not name the sender's socket, which then gets its
 * own message back). Answers a ladder per server.
 */
export async function compareLadders({ servers, pairs, idleTokens, rates, stepSeconds, log = () => {}, stopAboveMs = 1000 }) {
  const clients = [];
  for (const server of servers) {
    server.transport ??= 'socket';
    if (!TRANSPORTS.includes(server.transport)) throw new Error(`deliver: unknown transport ${server.transport} (${TRANSPORTS.join(' or ')})`);
    // With an ack the sending socket gets no message.created: an echo exists only over REST.
    if (server.echo && server.transport !== 'rest') throw new Error('deliver: the echo to the sender is measured over REST only');
  }
  try {
    for (const server of servers) {
      log(`deliver: connecting ${pairs.length * 2} pair sockets and ${idleTokens.length} idle clients to ${server.name}`);
      clients.push(await DeliverClients.connect(server, pairs, idleTokens));
    }
    // Warms each fresh server's code paths up (JIT, the pool's prepared statements), not reported.
    for (const client of clients) await client.step(rates[0], Math.min(3, stepSeconds));
    const ladders = servers.map((server) => ({ server: server.name, transport: server.transport, pairs: pairs.length, idle: idleTokens.length, stepSeconds, steps: [] }));
    const running = new Set(clients.map((_, index) => index));
    for (const [r, rate] of rates.entries()) {
      const order = [...running];
      if (r % 2 === 1) order.reverse();
      for (const index of order) {
        await sleep(PAUSE_MS);
        const result = await clients[index].step(rate, stepSeconds);
        ladders[index].steps.push(result);
        log(`  ${servers.length > 1 ? `${servers[index].name}: ` : ''}${describeStep(result)}`);
        if (!(result.p99 <= stopAboveMs) || result.lost > 0 || result.failed > 0) running.delete(index);
      }
      if (running.size === 0) break;
    }
    for (const ladder of ladders) ladder.sustained = sustainedRates(ladder.steps);
    return ladders;
  } finally {
    for (const client of clients) client.close();
  }
}

/** One server's clients: a socket per user of each pair, the idle ones, and the HTTP connections the sends go over with REST. */
class DeliverClients {
  static async connect(server, pairs, idleTokens) {
    const pairSockets = await connectSockets(server.base, pairs.flatMap((pair) => [pair.firstToken, pair.secondToken]));
    const idleSockets = await connectSockets(server.base, idleTokens);
    return new DeliverClients(server, pairs, pairSockets, idleSockets);
  }

  constructor(server, pairs, pairSockets, idleSockets) {
    this.server = server;
    this.pairs = pairs;
    this.pairSockets = pairSockets;
    this.sockets = [...pairSockets, ...idleSockets];
    // One keep-alive connection per sending user at most, as each would have its own.
    this.agent = new Agent({ keepAlive: true, maxSockets: pairs.length * 2 });
    this.inFlight = new Map(); // clientId → { scheduledAt, to: recipient user id, step }
    // Each send names its sender's socket (X-Socket-Id), as the web client does, unless `echo`: then
    // the sender's socket gets its own message back too.
    this.senderSocketIds = server.echo ? null : pairSockets.map((socket) => socket.id);
    this.pairTokens = pairs.flatMap((pair) => [pair.firstToken, pair.secondToken]);
    pairSockets.forEach((socket, index) => {
      const pair = pairs[Math.floor(index / 2)];
      const userId = index % 2 === 0 ? pair.first : pair.second;
      socket.on('message.created', (message) => {
        const sent = this.inFlight.get(message.clientId);
        if (!sent || sent.to !== userId) return;
        this.inFlight.delete(message.clientId);
        sent.step.samples.add(performance.now() - sent.scheduledAt);
        sent.step.lastDelivery = performance.now();
      });
    });
  }

  async step(rate, seconds) {
    const step = { samples: new Samples(), sent: 0, failed: 0, lastDelivery: 0 };
    const startedAt = Date.now();
    const { base, processes, probeFile } = this.server;
    const send = this.server.transport === 'rest' ? this.restSend(base) : this.socketSend();
    const result = await runStep({ pairs: this.pairs, send, rate, stepSeconds: seconds, processes, step, inFlight: this.inFlight });
    if (probeFile) result.loop = loopBetween(probeFile, startedAt, Date.now());
    // What has not arrived by now is lost, and must not be counted in the next step.
    for (const [clientId, sent] of this.inFlight) if (sent.step === step) this.inFlight.delete(clientId);
    return result;
  }

  /** `message.send` over the sender's socket with an ack (which spares that socket the echo); resolves whether it was accepted. */
  socketSend() {
    return (senderIndex, conversationId, payload) =>
      new Promise((done) => {
        this.pairSockets[senderIndex].timeout(ACK_TIMEOUT_MS).emit('message.send', { conversationId, ...payload }, (error, ack) => done(!error && ack?.ok === true));
      });
  }

  /** The send route, naming the sender's socket (X-Socket-Id) unless `echo`; resolves whether it answered 2xx. */
  restSend(base) {
    return (senderIndex, conversationId, payload) =>
      post(this.agent, base, `/api/conversations/${conversationId}/messages`, this.pairTokens[senderIndex], this.senderSocketIds?.[senderIndex], payload).then(
        (status) => status >= 200 && status <= 299,
        () => false,
      );
  }

  close() {
    for (const socket of this.sockets) socket.disconnect();
    this.agent.destroy();
  }
}

/** `send(senderIndex, conversationId, { clientId, body })` sends as the pair socket `senderIndex` (2 × pair, +1 for its second user) and resolves whether the server accepted it. */
async function runStep({ pairs, send, rate, stepSeconds, processes, step, inFlight }) {
  const total = Math.round(rate * stepSeconds);
  const answers = [];
  const before = cpuReading(processes);
  const begin = performance.now();
  let i = 0;
  while (i < total) {
    const now = performance.now();
    const due = Math.min(total, Math.floor(((now - begin) * rate) / 1000) + 1);
    for (; i < due; i++) {
      const pair = pairs[i % pairs.length];
      const fromFirst = Math.floor(i / pairs.length) % 2 === 0;
      const clientId = crypto.randomUUID();
      // The moment this send was due, not when it went out: a late scheduler counts against the server too.
      inFlight.set(clientId, { scheduledAt: begin + (i * 1000) / rate, to: fromFirst ? pair.second : pair.first, step });
      step.sent += 1;
      answers.push(
        send(2 * (i % pairs.length) + (fromFirst ? 0 : 1), pair.conversationId, {
          clientId,
          body: `Deliver benchmark message ${i}, about as long as a short chat line.`,
        }).then((accepted) => {
          if (!accepted) {
            step.failed += 1;
            inFlight.delete(clientId);
          }
        }),
      );
    }
    await sleep(TICK_MS);
  }
  const sendingMs = performance.now() - begin;
  await Promise.all(answers);
  const drainUntil = performance.now() + DRAIN_MS;
  while (step.samples.values.length < step.sent - step.failed && performance.now() < drainUntil) await sleep(20);
  const after = cpuReading(processes);
  const cpu = cpuBetween(before, after);
  const delivered = step.samples.values.length;
  const summary = step.samples.summary(1);
  // Over the time from the first send to the last delivery (the sends' duration when nothing lags).
  const deliveringSeconds = Math.max(sendingMs, step.lastDelivery - begin) / 1000;
  return {
    offered: rate,
    sent: step.sent,
    failed: step.failed,
    delivered,
    lost: step.sent - step.failed - delivered,
    deliveredPerSecond: delivered / deliveringSeconds,
    p50: summary.p50,
    p90: summary.p90,
    p99: summary.p99,
    max: summary.max,
    serverCpuMsPerMessage: delivered > 0 ? cpu.ms.server / delivered : NaN,
    postgresCpuMsPerMessage: delivered > 0 ? cpu.ms.postgres / delivered : NaN,
    cores: cpu.cores,
    serverRssMb: after.serverRssMb,
  };
}

/** The highest offered rates whose steps held p99 ≤ 100 ms and ≤ 1 s, none lost or failed. */
export function sustainedRates(steps) {
  const best = (limitMs) =>
    steps.filter((s) => s.p99 <= limitMs && s.lost === 0 && s.failed === 0).reduce((highest, s) => Math.max(highest, s.offered), 0);
  return { p99Under100ms: best(100), p99Under1s: best(1000) };
}

/** The probe's seconds within [from, to] (epoch ms): the worst second's loop delay p99, the max, and GC per second. */
function loopBetween(file, from, to) {
  if (!existsSync(file)) return undefined;
  const seconds = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))
    .filter((entry) => entry.at > from + 1000 && entry.at <= to);
  if (seconds.length === 0) return undefined;
  const most = (key) => Math.max(...seconds.map((entry) => entry[key]));
  const total = (key) => seconds.reduce((sum, entry) => sum + entry[key], 0);
  return {
    delayP99Ms: most('p99'),
    delayMaxMs: most('max'),
    gcMsPerSecond: total('gcMs') / seconds.length,
    gcMaxPauseMs: most('gcMaxMs'),
    majorGcs: total('majorGcs'),
    oldSpaceMb: seconds.at(-1).oldSpaceMb,
  };
}

const fixed = (value, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : '–');

export function describeStep(s) {
  return (
    `${s.offered}/s offered: ${fixed(s.deliveredPerSecond)}/s delivered, p50 ${fixed(s.p50, 1)} / p99 ${fixed(s.p99, 1)} / max ${fixed(s.max, 0)} ms, ` +
    `${s.lost} lost, ${s.failed} failed; server ${fixed(s.serverCpuMsPerMessage, 3)} ms CPU/message, RSS ${fixed(s.serverRssMb)} MB; ` +
    `cores: server ${fixed(s.cores.server, 2)}, PostgreSQL ${fixed(s.cores.postgres, 2)}, load generator ${fixed(s.cores.load, 2)}, other ${fixed(s.cores.other, 2)}` +
    (s.loop
      ? `; event loop delay p99 ${fixed(s.loop.delayP99Ms, 1)} / max ${fixed(s.loop.delayMaxMs, 0)} ms, GC ${fixed(s.loop.gcMsPerSecond, 1)} ms/s (longest pause ${fixed(s.loop.gcMaxPauseMs, 1)} ms, ${s.loop.majorGcs} full), old generation ${fixed(s.loop.oldSpaceMb)} MB`
      : '')
  );
}

/** The ladder as a table, one row per step, as printed under the bench's summary. */
export function ladderTable(ladder) {
  const rows = [
    ['offered /s', 'delivered /s', 'p50 ms', 'p99 ms', 'max ms', 'lost', 'failed', 'server CPU ms/msg', 'PG CPU ms/msg', 'RSS MB', 'cores: server / PG / load / other'],
    ...ladder.steps.map((s) => [
      s.offered,
      fixed(s.deliveredPerSecond),
      fixed(s.p50, 1),
      fixed(s.p99, 1),
      fixed(s.max),
      s.lost,
      s.failed,
      fixed(s.serverCpuMsPerMessage, 3),
      fixed(s.postgresCpuMsPerMessage, 3),
      fixed(s.serverRssMb),
      [s.cores.server, s.cores.postgres, s.cores.load, s.cores.other].map((c) => fixed(c, 2)).join(' / '),
    ]),
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => String(row[column]).length)));
  return rows.map((row) => row.map((cell, column) => String(cell).padEnd(widths[column])).join('  ')).join('\n');
}

/** POST of a JSON body; resolves with the status once the answer has been read. */
function post(agent, base, path, token, socketId, body) {
  const payload = JSON.stringify(body);
  return new Promise((done, fail) => {
    const call = request(
      `${base}${path}`,
      {
        method: 'POST',
        agent,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          ...(socketId ? { 'x-socket-id': socketId } : {}),
        },
      },
      (response) => {
        response.resume();
        response.on('end', () => done(response.statusCode));
        response.on('error', fail);
      },
    );
    call.on('error', fail);
    call.end(payload);
  });
}
