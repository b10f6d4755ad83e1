import { Injectable, type OnModuleInit } from '@nestjs/common';
import { AuthService } from '../auth/auth.service.js';
import { E2eeService } from './e2ee.service.js';

/** Lets AuthService end a device's keys and queues with its session, without importing this module. */
@Injectable()
export class E2eeHooks implements OnModuleInit {
  constructor(
    private readonly auth: AuthService,
    private readonly e2ee: E2eeService,
  ) {}

  onModuleInit(): void {
    this.auth.onSessionsEnded((tx, ended) => this.e2ee.sessionsEnded(tx, ended));
  }
}
