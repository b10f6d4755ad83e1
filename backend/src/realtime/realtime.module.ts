import { Global, Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { AppConfig } from '../config/app-config.js';
import { ConversationsModule } from '../conversations/conversations.module.js';
import { FriendsModule } from '../friends/friends.module.js';
import { MemoryPresenceStore, PresenceStore } from './presence-store.js';
import { RealtimeGateway } from './realtime.gateway.js';
import { RealtimeService } from './realtime.service.js';
import { createRedisClient } from './redis-client.js';
import { RedisPresenceStore } from './redis-presence-store.js';

/**
 * Global because the services that publish events (auth, friends, messages) are also what the gateway
 * needs; importing both ways would be a module cycle.
 */
@Global()
@Module({
  imports: [AuthModule, FriendsModule, ConversationsModule],
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
