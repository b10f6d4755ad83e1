import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import type { Redis } from 'ioredis';
import { Server, type ServerOptions } from 'socket.io';
import type { AppConfig } from '../config/app-config.js';
import { SOCKET_PATH } from './realtime-events.js';
import { catchCommandRejections, closeRedisClient, createRedisClient } from './redis-client.js';

type NestIoServer = ReturnType<IoAdapter['createIOServer']>;

/**
 * Socket.IO on the app's own HTTP server at /socket.io, with the payload limit from the config, and
 * with REDIS_URL the Redis adapter, which carries room broadcasts and disconnects between instances.
 */
export class RealtimeIoAdapter extends IoAdapter {
  private readonly redisClients: Redis[] = [];

  constructor(
    app: INestApplicationContext,
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
      maxHttpBufferSize: this.config.SOCKET_MAX_PAYLOAD_BYTES,
      // Long-polling from the allowed origins (WebSocket itself has no CORS; the token in auth.token guards it).
      ...(this.config.corsOrigins.length > 0 ? { cors: { origin: this.config.corsOrigins, credentials: true } } : {}),
    });
    if (this.config.REDIS_URL) {
      // Publishing gives up after one retry while Redis is down (local sockets are still served);
      // subscriptions wait for it to come back.
      const publisher = createRedisClient(this.config.REDIS_URL, 'Socket.IO publisher', { maxRetriesPerRequest: 1 });
      const subscriber = createRedisClient(this.config.REDIS_URL, 'Socket.IO subscriber', { maxRetriesPerRequest: null });
      catchCommandRejections(publisher, ['publish']);
      catchCommandRejections(subscriber, ['psubscribe', 'subscribe', 'punsubscribe', 'unsubscribe']);
      this.redisClients.push(publisher, subscriber);
      server.adapter(createAdapter(publisher, subscriber, { key: `${this.config.REDIS_KEY_PREFIX}socket.io` }));
    }
    // @nestjs/platform-socket.io pins its own copy of socket.io; the server is ours (same 4.8 API).
    return server as unknown as NestIoServer;
  }

  override async dispose(): Promise<void> {
    await Promise.all(this.redisClients.splice(0).map(closeRedisClient));
  }
}
