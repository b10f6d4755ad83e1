// The `send-socket` scenario: the send load of the `send` scenario (the same pairs, the same number of
// sends out at once, closed loop), once over REST and once as `message.send` over each sender's open
// socket with an ack, in alternating turns on the same server, with the server's and PostgreSQL's CPU
// per send read from /proc.
import { connectSockets } from './fanout.mjs';
import { httpLoad, jsonRequest } from './http.mjs';
import { cpuBetween, cpuReading } from './procfs.mjs';
import { closedLoop, Samples } from './stats.mjs';

/** A send whose ack has not come by then counts as an error. */
const ACK_TIMEOUT_MS = 30_000;

/**
 * The i-th send of a run: from one user of pair i to the other, alternating direction, as the `send`
 * scenario's do; `sockets` holds each pair's two users' sockets, in the order of `pairs`.
 */
export function sendSequence(pairs, sockets) {
  let n = 0;
  return () => {
    const i = n++;
    const pairIndex = i % pairs.length;
    const pair = pairs[pairIndex];
    const fromFirst = Math.floor(i / pairs.length) % 2 === 0;
    return {
      socket: sockets[2 * pairIndex + (fromFirst ? 0 : 1)],
      token: fromFirst ? pair.firstToken : pair.secondToken,
      conversationId: pair.conversationId,
      clientId: crypto.randomUUID(),
      body: `Benchmark message ${i}, about as long as a short chat line.`,
    };
  };
}

/** One `message.send` of the sequence with an ack, for closedLoop: resolves on `ok`, fails on a refusal or no ack. */
export function socketSendOperation(nextSend) {
  return () => {
    const { socket, conversationId, clientId, body } = nextSend();
    return new Promise((done, fail) => {
      socket.timeout(ACK_TIMEOUT_MS).emit('message.send', { conversationId, clientId, body }, (error, ack) => {
        if (error) fail(error);
        else if (ack?.ok !== true) fail(new Error(`message.send refused: ${ack?.code} ${ack?.message}`));
        else done();
      });
    });
  };
}

/**
 * Connects a socket for every user of `pairs` (connected through both transports' turns, so the server
 * carries the same sockets in each), then sends with `connections` sends out at once: REST, socket,
 * socket, REST, `turns` times over, each turn `turnSeconds` after a CHECKPOINT (`settle`). The i-th send
 * goes from one user of pair i to the other, alternating direction, as the `send` scenario's do. A REST
 * send names its sender's socket (X-Socket-Id) and a socket send passes an ack, as the web client does:
 * neither is echoed to the sender, and the peer's socket gets its `message.created` in both.
 */
export async function socketSendCost({ base, serverPid, database, pairs, connections, turnSeconds, warmupSeconds, turns = 2, settle, log }) {
  log(`send-socket: connecting ${pairs.length * 2} sockets`);
  const sockets = await connectSockets(base, pairs.flatMap((pair) => [pair.firstToken, pair.secondToken]));
  try {
    const nextSend = sendSequence(pairs, sockets);
    const overRest = (samples) => ({
      next: (_, context) => {
        const { socket, token, conversationId, clientId, body } = nextSend();
        const request = jsonRequest('POST', `/api/conversations/${conversationId}/messages`, token, { clientId, body });
        context.started = performance.now();
        return { ...request, headers: { ...request.headers, 'x-socket-id': socket.id } };
      },
      onResponse: (status, _, context) => {
        if (status >= 200 && status <= 299) samples?.add(performance.now() - context.started);
      },
    });
    const overSocket = socketSendOperation(nextSend);

    log(`send-socket: warming up both transports, ${warmupSeconds} s each`);
    await httpLoad({ base, connections: 16, seconds: warmupSeconds, ...overRest() });
    await closedLoop({ concurrency: 16, seconds: warmupSeconds, operation: overSocket });

    const runs = { rest: [], socket: [] };
    const samples = { rest: new Samples(), socket: new Samples() };
    for (let turn = 0; turn < 2 * turns; turn++) {
      const transport = turn % 4 === 0 || turn % 4 === 3 ? 'rest' : 'socket';
      await settle();
      const before = cpuReading({ serverPid, database });
      let sends;
      let errors;
      let seconds;
      if (transport === 'rest') {
        const result = await httpLoad({ base, connections, seconds: turnSeconds, ...overRest(samples.rest) });
        ({ count: sends, errors, seconds } = result);
      } else {
        const turnSamples = new Samples();
        const result = await closedLoop({
          concurrency: connections,
          seconds: turnSeconds,
          operation: async () => {
            const started = performance.now();
            await overSocket();
            turnSamples.add(performance.now() - started);
          },
        });
        samples.socket.values.push(...turnSamples.values);
        ({ count: sends, errors } = result);
        seconds = result.count / result.perSecond;
      }
      const cpu = cpuBetween(before, cpuReading({ serverPid, database }));
      runs[transport].push({ sends, errors, seconds, cpu });
      log(
        `  ${transport}: ${Math.round(sends / seconds)} sends/s, ${errors} errors; server ${(cpu.ms.server / sends).toFixed(3)} ms CPU/send, ` +
          `PostgreSQL ${(cpu.ms.postgres / sends).toFixed(3)}; cores: server ${cpu.cores.server.toFixed(2)}, PostgreSQL ${cpu.cores.postgres.toFixed(2)}, load generator ${cpu.cores.load.toFixed(2)}, machine ${cpu.cores.machine.toFixed(2)}`,
      );
    }
    const total = (transport) => {
      const list = runs[transport];
      const sum = (pick) => list.reduce((acc, run) => acc + pick(run), 0);
      const seconds = sum((run) => run.seconds);
      const wallMs = sum((run) => run.cpu.wallMs);
      const sends = sum((run) => run.sends);
      return {
        ...samples[transport].summary(seconds),
        perSecond: sends / seconds,
        sends,
        errors: sum((run) => run.errors),
        turns: list.length,
        serverMsPerSend: sum((run) => run.cpu.ms.server) / sends,
        postgresMsPerSend: sum((run) => run.cpu.ms.postgres) / sends,
        cores: Object.fromEntries(['server', 'postgres', 'load', 'machine'].map((name) => [name, sum((run) => run.cpu.ms[name]) / wallMs])),
      };
    };
    return { rest: total('rest'), socket: total('socket'), sockets: sockets.length, turnSeconds };
  } finally {
    for (const socket of sockets) socket.disconnect();
  }
}

/** The scenario's entry for results.json and the table: the socket in the app column, REST in the raw one. */
export function socketSendResult(cost) {
  const { rest, socket } = cost;
  const share = socket.serverMsPerSend / rest.serverMsPerSend;
  const ms = (run) => `p50 ${run.p50.toFixed(1)} / p99 ${run.p99.toFixed(1)} ms`;
  const cores = (run) => `server ${run.cores.server.toFixed(2)}, PostgreSQL ${run.cores.postgres.toFixed(2)}, load generator ${run.cores.load.toFixed(2)}, machine ${run.cores.machine.toFixed(2)}`;
  return {
    name: 'send-socket',
    app: socket,
    raw: rest,
    ratio: socket.perSecond / rest.perSecond,
    serverCpuShare: share,
    target: 'less server CPU per send than REST',
    holds: share < 1 && socket.errors === 0 && rest.errors === 0,
    notes: [
      `server CPU per send: ${socket.serverMsPerSend.toFixed(3)} ms over the socket against ${rest.serverMsPerSend.toFixed(3)} ms over REST (${(share * 100).toFixed(0)} %); PostgreSQL ${socket.postgresMsPerSend.toFixed(3)} against ${rest.postgresMsPerSend.toFixed(3)} ms`,
      `socket ${Math.round(socket.perSecond)} sends/s ${ms(socket)}, ${socket.errors} errors; REST ${Math.round(rest.perSecond)} sends/s ${ms(rest)}, ${rest.errors} errors; raw column: REST, in ${rest.turns} + ${socket.turns} alternating turns of ${cost.turnSeconds} s with ${cost.sockets} sockets connected`,
      `cores, socket: ${cores(socket)}; REST: ${cores(rest)}`,
    ],
  };
}
