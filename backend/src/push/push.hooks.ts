import { Injectable, type OnModuleInit } from '@nestjs/common';
import { SessionLifecycleService } from '../auth/session-lifecycle.service.js';
import { PushService } from './push.service.js';

/** Lets SessionLifecycleService end a device's push subscription with its session, without importing this module. */
@Injectable()
export class PushHooks implements OnModuleInit {
  constructor(
    private readonly lifecycle: SessionLifecycleService,
    private readonly push: PushService,
  ) {}

  onModuleInit(): void {
    this.lifecycle.onSessionsEnded((tx, ended) => this.push.sessionsEnded(tx, ended));
  }
}
