import { Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { isClusterWorker } from '../common/workers.js';
import { MemoryPresenceStore, PresenceStore } from './presence-store.js';
import { PrimaryPresenceStore } from './primary-presence-store.js';
import { RealtimeGateway } from './realtime.gateway.js';
import { RealtimeService } from './realtime.service.js';
import { createRedisClient } from './redis-client.js';
import { RedisPresenceStore } from './redis-presence-store.js';
import { SocketAdmission } from './socket-admission.js';
import { SocketLimits } from './socket-limits.js';
import { TypingRelay } from './typing-relay.js';

/**
 * Imported by every module that publishes events. It imports no domain module: what the gateway needs
 * to know about users, the owning modules register with RealtimeService (see `*.realtime.ts`).
 */
@Module({
  providers: [
    RealtimeGateway,
    RealtimeService,
    SocketLimits,
    SocketAdmission,
    TypingRelay,
    {
      provide: PresenceStore,
      inject: [AppConfig],
      useFactory: (config: AppConfig): PresenceStore =>
        config.REDIS_URL
          ? new RedisPresenceStore(createRedisClient(config.REDIS_URL, 'presence', { maxRetriesPerRequest: 1 }), config.REDIS_KEY_PREFIX)
          : isClusterWorker()
            ? new PrimaryPresenceStore()
            : new MemoryPresenceStore(),
    },
  ],
  exports: [RealtimeService],
})
export class RealtimeModule {}
