import { Global, Module } from '@nestjs/common';
import { Clock } from './clock.js';
import { AppConfig } from '../config/app-config.js';
import { RateLimitStore, rateLimitStoreFor } from './rate-limit-store.js';
import { RateLimiter, RateLimitGuard } from './rate-limit.guard.js';

@Global()
@Module({
  providers: [
    Clock,
    RateLimiter,
    RateLimitGuard,
    { provide: RateLimitStore, inject: [AppConfig], useFactory: (config: AppConfig) => rateLimitStoreFor(config.REDIS_URL, config.REDIS_KEY_PREFIX) },
  ],
  exports: [Clock, RateLimiter, RateLimitGuard],
})
export class CommonModule {}
