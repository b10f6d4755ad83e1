// Scenario 4: sockets for every user of the active pairs, messages sent over REST at a fixed rate,
// and the time from starting the send to the peer's socket receiving `message.created`.
import { setTimeout as sleep } from 'node:timers/promises';
import { io } from 'socket.io-client';
import { Samples } from './stats.mjs';

export async function connectSockets(base, tokens, { batch = 100 } = {}) {
  const sockets = [];
  for (let i = 0; i < tokens.length; i += batch) {
    const group = tokens.slice(i, i + batch).map(
      (token) =>
        new Promise((done, fail) => {
          const socket = io(base, { transports: ['websocket'], auth: { token }, reconnection: false, timeout: 60_000 });
          socket.once('ready', () => done(socket));
          socket.once('connect_error', (error) => fail(error));
        }),
    );
    sockets.push(...(await Promise.all(group)));
  }
  return sockets;
}

/**
 * Sends `rate` messages per second for `seconds` from the first user of each pair to the second,
 * round robin over the pairs, and measures send → event latency at the receiving socket.
 */
export async function fanOut({ base, pairs, sockets, rate, seconds, label = 'fan-out' }) {
  const samples = new Samples();
  const pending = new Map(); // message body → start time
  let received = 0;
  const onMessage = (message) => {
    const started = pending.get(message.body);
    if (started === undefined) return;
    pending.delete(message.body);
    received += 1;
    samples.add(performance.now() - started);
  };
  for (const socket of sockets.receivers) socket.on('message.created', onMessage);
  const total = rate * seconds;
  const tickMs = 10;
  const perTick = (rate * tickMs) / 1000;
  let sent = 0;
  let failed = 0;
  const inflight = new Set();
  const begin = performance.now();
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - begin) / tickMs + 1) * perTick));
    while (sent < due) {
      const pair = pairs[sent % pairs.length];
      const body = `${label} ${sent}`;
      pending.set(body, performance.now());
      const call = fetch(`${base}/api/conversations/${pair.conversationId}/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${pair.senderToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ clientId: crypto.randomUUID(), body }),
      })
        .then(async (response) => {
          await response.arrayBuffer();
          if (!response.ok) failed += 1;
        })
        .catch(() => {
          failed += 1;
        })
        .finally(() => inflight.delete(call));
      inflight.add(call);
      sent += 1;
    }
    await sleep(tickMs);
  }
  await Promise.all(inflight);
  // Whatever has not arrived two seconds after the last answer is lost.
  const drainUntil = performance.now() + 2000;
  while (received < sent - failed && performance.now() < drainUntil) await sleep(20);
  // A later run on the same sockets (after a warm-up) counts only its own messages.
  for (const socket of sockets.receivers) socket.off('message.created', onMessage);
  const summary = samples.summary((performance.now() - begin) / 1000);
  return { ...summary, sent, failedSends: failed, received, lost: sent - failed - received, perSecond: sent / seconds };
}
