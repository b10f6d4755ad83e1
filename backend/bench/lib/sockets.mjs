// Scenario `sockets`: many authenticated clients on one server, its memory per socket, and the fan-out
// with all of them connected. The clients speak the Engine.IO 4 / Socket.IO 5 protocol over a bare
// WebSocket (`ws`), so that 10,000 of them fit in the load generator beside the server: a
// socket.io-client instance carries a Manager, an Engine.IO client, timers and buffers each.
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { fanOut } from './fanout.mjs';

// What a browser sends with its WebSocket handshake besides the protocol's own headers: the server
// keeps the handshake's headers, so a bench client without them would look lighter than a real one.
const BROWSER_HEADERS = {
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'accept-encoding': 'gzip, deflate, br, zstd',
  'accept-language': 'en-GB,en-US;q=0.9,en;q=0.8',
  'cache-control': 'no-cache',
  pragma: 'no-cache',
};

// Engine.IO packet types (first character of a frame) and the Socket.IO ones after a `4` (message).
const EIO_OPEN = '0';
const EIO_CLOSE = '1';
const EIO_PING = '2';
const EIO_PONG = '3';
const EIO_MESSAGE = '4';
const SIO_CONNECT = '0';
const SIO_EVENT = '2';
const SIO_CONNECT_ERROR = '4';

/**
 * One Socket.IO client on the default namespace, websocket only, with `auth.token`. It answers the
 * server's pings and hands events to `on(event, listener)`, as socket.io-client does.
 */
export class RawSocket {
  constructor(base, token) {
    this.listeners = new Map();
    this.ws = new WebSocket(`${base.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`, {
      perMessageDeflate: false,
      headers: BROWSER_HEADERS,
      origin: base,
    });
    this.ready = new Promise((resolve, reject) => {
      this.ws.on('error', reject);
      this.ws.once('close', (code) => reject(new Error(`closed before ready (${code})`)));
      this.on('ready', () => resolve(this));
      this.onConnectError = (error) => reject(new Error(`connect_error ${error.data?.code ?? error.message}`));
    });
    this.ws.on('message', (data) => this.receive(data.toString()));
    this.token = token;
  }

  on(event, listener) {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }

  off(event, listener) {
    this.listeners.set(event, (this.listeners.get(event) ?? []).filter((each) => each !== listener));
    return this;
  }

  disconnect() {
    this.ws.close();
  }

  receive(frame) {
    switch (frame[0]) {
      case EIO_OPEN:
        this.ws.send(`${EIO_MESSAGE}${SIO_CONNECT}${JSON.stringify({ token: this.token })}`);
        return;
      case EIO_PING:
        this.ws.send(EIO_PONG);
        return;
      case EIO_CLOSE:
        this.ws.close();
        return;
      case EIO_MESSAGE:
        break;
      default:
        return;
    }
    if (frame[1] === SIO_CONNECT_ERROR) {
      this.onConnectError(JSON.parse(frame.slice(2)));
    } else if (frame[1] === SIO_EVENT) {
      // `42["event",payload]` on the default namespace (no ack id: the server asks for none).
      const [event, ...args] = JSON.parse(frame.slice(2));
      for (const listener of this.listeners.get(event) ?? []) listener(...args);
    }
  }
}

/** Connects one socket per token, `concurrency` handshakes at a time; resolves once every one has had `ready`. */
export async function connectRawSockets(base, tokens, { concurrency = 200 } = {}) {
  const sockets = new Array(tokens.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < tokens.length) {
        const i = next++;
        sockets[i] = await new RawSocket(base, tokens[i]).ready;
      }
    }),
  );
  return sockets;
}

/**
 * Starts a fresh server (`start()`), measures its RSS idle, connects a socket for both users of every
 * pair, measures it again once idle, then sends `rate` messages/s over REST from the first user of each
 * pair to the second and times them to the second's socket.
 */
export async function socketsScenario({ start, pairs, rate, seconds, warmupSeconds, idleSeconds, log }) {
  const server = await start();
  try {
    const waitIdle = () => sleep(idleSeconds * 1000);
    await waitIdle();
    const idleRss = server.rssMb();
    log(`  idle ${idleRss.toFixed(0)} MB; connecting ${pairs.length * 2} sockets`);
    const began = performance.now();
    const sockets = await connectRawSockets(
      server.base,
      pairs.flatMap((pair) => [pair.firstToken, pair.secondToken]),
    );
    const connectSeconds = (performance.now() - began) / 1000;
    log(`  connected ${sockets.length} sockets in ${connectSeconds.toFixed(1)} s; waiting for the server to settle`);
    const connectedRss = server.rssMb();
    await waitIdle();
    const socketsRss = server.rssMb();
    const bytesPerSocket = ((socketsRss - idleRss) * 2 ** 20) / sockets.length;
    log(`  with ${sockets.length} sockets ${socketsRss.toFixed(0)} MB (${Math.round(bytesPerSocket)} B/socket); fan-out at ${rate}/s`);
    const fanOutOver = (label, forSeconds) =>
      fanOut({
        base: server.base,
        pairs: pairs.map((pair) => ({ conversationId: pair.conversationId, senderToken: pair.firstToken })),
        sockets: { receivers: sockets.filter((_, i) => i % 2 === 1) },
        rate,
        seconds: forSeconds,
        label,
      });
    // The server is fresh: its first seconds of sends compile the send path and fill the pool's prepared
    // statements, as the `fan-out` scenario's server has done in the scenarios before it. Not timed.
    const warm = await fanOutOver('warm-up', warmupSeconds);
    const fan = await fanOutOver('fan-out', seconds);
    const fanRss = server.rssMb();
    for (const socket of sockets) socket.disconnect();
    const mb = (value) => `${value.toFixed(0)} MB`;
    return {
      name: 'sockets',
      app: fan,
      memory: { idleMb: idleRss, connectedMb: connectedRss, socketsMb: socketsRss, afterFanOutMb: fanRss, sockets: sockets.length, bytesPerSocket },
      target: '≤ 500 MB with 10,000 sockets; fan-out p99 ≤ 100 ms, none lost',
      holds: socketsRss <= 500 && fan.p99 <= 100 && fan.lost === 0 && fan.failedSends === 0,
      notes: [
        `RSS idle ${mb(idleRss)}, with ${sockets.length} sockets ${mb(socketsRss)} (${mb(connectedRss)} just after connecting, in ${connectSeconds.toFixed(1)} s) = ${Math.round(bytesPerSocket).toLocaleString('en')} B per socket; ${mb(fanRss)} after the fan-out`,
        `fan-out over ${pairs.length} pairs: ${fan.sent} sent at ${rate}/s, ${fan.received} received, ${fan.lost} lost, ${fan.failedSends} failed sends`,
        `warm-up before it, not counted: ${warm.sent} sent in ${warmupSeconds} s, p50 ${warm.p50} ms, p99 ${warm.p99} ms, ${warm.lost} lost`,
      ],
    };
  } finally {
    await server.stop();
  }
}
