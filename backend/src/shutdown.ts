import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
import { RealtimeGateway } from './realtime/realtime.gateway.js';

/** A kept-alive connection with no request for this long while draining is closed; one in use is told to close instead. */
const IDLE_GRACE_MS = 1_000;
const POLL_MS = 25;
/** The share of SHUTDOWN_TIMEOUT_MS left for closing the app (database pool, Redis) after the HTTP drain. */
const CLOSE_SHARE = 0.3;

interface Connection {
  busy: number;
  idleSince: number;
}

/**
 * The HTTP connections of one server and whether it is draining. While draining, every answer carries
 * `Connection: close`, so a client looping on a kept-alive connection gets its answer and then a clean
 * close, rather than a reset of a request it already sent.
 */
class HttpDrain {
  draining = false;
  readonly connections = new Map<Socket, Connection>();

  constructor(readonly server: Server) {
    server.on('connection', (socket: Socket) => {
      this.connections.set(socket, { busy: 0, idleSince: Date.now() });
      socket.once('close', () => this.connections.delete(socket));
    });
    // A WebSocket is no longer an HTTP connection: Socket.IO closes it.
    server.on('upgrade', (req: IncomingMessage) => this.connections.delete(req.socket));
    // First, so the header is set before any handler can answer.
    server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
      const connection = this.connections.get(req.socket);
      if (this.draining) res.setHeader('connection', 'close');
      if (!connection) return;
      connection.busy += 1;
      res.once('close', () => {
        connection.busy -= 1;
        connection.idleSince = Date.now();
      });
    });
  }

  /** Closes connections idle for IDLE_GRACE_MS; true once none is left. */
  closeIdle(): boolean {
    const now = Date.now();
    for (const [socket, connection] of this.connections) {
      if (connection.busy === 0 && now - connection.idleSince >= IDLE_GRACE_MS) {
        socket.destroy();
        this.connections.delete(socket);
      }
    }
    return this.connections.size === 0;
  }
}

const drains = new WeakMap<NestFastifyApplication, HttpDrain>();

/** Tracks the app's HTTP connections for `shutDown`; called once by configureApp, before it listens. */
export function trackConnections(app: NestFastifyApplication): void {
  drains.set(app, new HttpDrain(app.getHttpServer()));
}

/**
 * Stops the app within `timeoutMs`, in order: stop accepting connections, tell sockets to reconnect
 * (elsewhere, behind a load balancer), let in-flight requests finish while kept-alive connections are
 * told to close, then close the app (Socket.IO, the database pool, Redis). `timedOut` when a step had
 * to be cut short; the caller exits either way.
 */
export async function shutDown(app: NestFastifyApplication, timeoutMs: number): Promise<{ timedOut: boolean }> {
  const started = Date.now();
  const drain = drains.get(app) ?? new HttpDrain(app.getHttpServer());
  drain.draining = true;
  // http.Server#close would also cut idle kept-alive connections at once, although their client may
  // already have a request on the wire; net.Server#close only stops accepting.
  NetServer.prototype.close.call(drain.server);
  app.get(RealtimeGateway, { strict: false }).releaseSockets();

  const drainUntil = started + timeoutMs * (1 - CLOSE_SHARE);
  while (!drain.closeIdle() && Date.now() < drainUntil) await pause(POLL_MS);
  let timedOut = drain.connections.size > 0;
  drain.server.closeAllConnections();

  const closed = app.close().then(
    () => true,
    (error: unknown) => {
      new Logger('Shutdown').error(`Closing failed: ${(error as Error).message}`);
      return true;
    },
  );
  let timer: NodeJS.Timeout | undefined;
  const inTime = await Promise.race([closed, new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, started + timeoutMs - Date.now()))))]);
  clearTimeout(timer);
  if (!inTime) timedOut = true;
  return { timedOut };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
