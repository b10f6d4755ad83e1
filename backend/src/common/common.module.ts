import { Global, Module } from '@nestjs/common';
import { Clock } from './clock.js';
import { RateLimiter, RateLimitGuard } from './rate-limit.guard.js';

@Global()
@Module({ providers: [Clock, RateLimiter, RateLimitGuard], exports: [Clock, RateLimiter, RateLimitGuard] })
export class CommonModule {}
