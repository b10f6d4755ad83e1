import { Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { MemoryPresenceStore, PresenceStore } from './presence-store.js';
import { RealtimeGateway } from './realtime.gateway.js';
import { RealtimeService } from './realtime.service.js';
import { createRedisClient } from './redis-client.js';
import { RedisPresenceStore } from './redis-presence-store.js';

/**
 * Imported by every module that publishes events. It imports no domain module: what the gateway needs
 * to know about users, the owning modules register with RealtimeService (see `*.realtime.ts`).
 */
@Module({
  providers: [
    RealtimeGateway,
    RealtimeService,
    {
      provide: PresenceStore,
      inject: [AppConfig],
      useFactory: (config: AppConfig): PresenceStore =>
        config.REDIS_URL
          ? new RedisPresenceStore(createRedisClient(config.REDIS_URL, 'presence', { maxRetriesPerRequest: 1 }), config.REDIS_KEY_PREFIX)
          : new MemoryPresenceStore(),
    },
  ],
  exports: [RealtimeService],
})
export class RealtimeModule {}
