import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createAdapter as createClusterAdapter } from '@socket.io/cluster-adapter';
import { createAdapter } from '@socket.io/redis-adapter';
import type { Redis } from 'ioredis';
import { isObservable } from 'rxjs';
import { Server, type ServerOptions } from 'socket.io';
import { isClusterWorker } from '../common/workers.js';
import type { AppConfig } from '../config/app-config.js';
import { SOCKET_PATH } from './realtime-events.js';
import { RealtimeGateway } from './realtime.gateway.js';
import { catchCommandRejections, closeRedisClient, createRedisClient, createRedisPublisher, onReconnected } from './redis-client.js';

type NestIoServer = ReturnType<IoAdapter['createIOServer']>;

/**
 * Socket.IO on the app's own HTTP server at /socket.io, with the payload limit from the config, and
 * with REDIS_URL the Redis adapter, which carries room broadcasts and disconnects between instances.
 * Of several workers without Redis, the cluster adapter carries them between workers through the
 * primary; and a client must speak WebSocket only, as each new connection may land on another worker.
 */
export class RealtimeIoAdapter extends IoAdapter {
  private readonly redisClients: Redis[] = [];

  constructor(
    private readonly app: INestApplicationContext,
    private readonly config: AppConfig,
  ) {
    super(app);
  }

  override createIOServer(_port: number, options?: Parameters<IoAdapter['createIOServer']>[1]): NestIoServer {
    // Always on the app's own HTTP server: the gateway declares no port of its own.
    const server = new Server(this.httpServer, {
      ...(options as Partial<ServerOptions> | undefined),
      path: SOCKET_PATH,
      serveClient: false,
      // Compression would hold a zlib context per socket; events are small JSON (the default, said aloud).
      perMessageDeflate: false,
      maxHttpBufferSize: this.config.SOCKET_MAX_PAYLOAD_BYTES,
      ...(isClusterWorker() ? { transports: ['websocket'] } : {}),
      // Long-polling from the allowed origins (WebSocket itself has no CORS; the token in auth.token guards it).
      ...(this.config.corsOrigins.length > 0 ? { cors: { origin: this.config.corsOrigins, credentials: true } } : {}),
    });
    if (this.config.REDIS_URL) {
      // Publishing fails at once while Redis is down (local sockets are still served) rather than being
      // queued or resent late (see createRedisPublisher). What fails is caught up instead (below).
      // Subscriptions wait for Redis.
      const publisher = createRedisPublisher(this.config.REDIS_URL, 'Socket.IO publisher');
      const subscriber = createRedisClient(this.config.REDIS_URL, 'Socket.IO subscriber', { maxRetriesPerRequest: null });
      let publishFailed = false;
      catchCommandRejections(publisher, ['publish'], () => (publishFailed = true));
      catchCommandRejections(subscriber, ['psubscribe', 'subscribe', 'punsubscribe', 'unsubscribe']);
      this.redisClients.push(publisher, subscriber);
      server.adapter(createAdapter(publisher, subscriber, { key: `${this.config.REDIS_KEY_PREFIX}socket.io` }));
      // Events to and from other instances were lost while Redis was away; nothing replays them.
      onReconnected([publisher, subscriber], () => {
        const othersMissedEvents = publishFailed;
        publishFailed = false;
        void this.app.get(RealtimeGateway, { strict: false }).redisRestored(othersMissedEvents);
      });
      // An event published before the first connection (while booting) failed too: the others catch up on it.
      publisher.once('ready', () => {
        if (!publishFailed) return;
        publishFailed = false;
        this.app.get(RealtimeGateway, { strict: false }).othersMissedEvents();
      });
    } else if (isClusterWorker()) {
      server.adapter(createClusterAdapter());
    }
    // @nestjs/platform-socket.io pins its own copy of socket.io; the server is ours (same 4.8 API).
    return server as unknown as NestIoServer;
  }

  /**
   * What Nest's own binding does, without its RxJS pipeline per socket and handler (fromEvent,
   * mergeMap, takeUntil the disconnect), which every open socket kept for its whole life, nor per event
   * (defer, then the promise made an Observable and merged), which every send over the socket paid for:
   * a plain listener per handler, the same answer (an ack, or an emit when the result names an `event`).
   * Only a handler whose result is an Observable is subscribed to, each value answered as it comes.
   */
  override bindMessageHandlers(...[socket, handlers]: Parameters<IoAdapter['bindMessageHandlers']>): void {
    for (const { message, callback, isAckHandledManually } of handlers) {
      socket.on(message as string, (...args: unknown[]) => {
        const { data, ack } = this.mapPayload(args.length > 1 ? args : args[0]);
        const answer = (result: unknown) => {
          const response = result as { event?: string; data?: unknown } | null | undefined;
          if (response === null || response === undefined) return;
          if (response.event) socket.emit(response.event, response.data);
          else if (!isAckHandledManually && typeof ack === 'function') ack(response);
        };
        const failed = (error: unknown) => this.logger.error(error);
        // Nest's handler is async (its exception filter inside), so this is where its result arrives.
        new Promise<unknown>((resolve) => resolve(callback(data, ack))).then((result) => {
          if (isObservable(result)) result.subscribe({ next: answer, error: failed });
          else answer(result);
        }, failed);
      });
    }
  }

  override async dispose(): Promise<void> {
    await Promise.all(this.redisClients.splice(0).map(closeRedisClient));
  }
}
