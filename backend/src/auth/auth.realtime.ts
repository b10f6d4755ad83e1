import { Injectable, type OnModuleInit } from '@nestjs/common';
import { RealtimeService } from '../realtime/realtime.service.js';
import { AuthService } from './auth.service.js';
import { SessionLifecycleService } from './session-lifecycle.service.js';

/** Lets the socket gateway check handshake tokens and find ended sessions without importing AuthService. */
@Injectable()
export class AuthRealtime implements OnModuleInit {
  constructor(
    private readonly auth: AuthService,
    private readonly lifecycle: SessionLifecycleService,
    private readonly realtime: RealtimeService,
  ) {}

  onModuleInit(): void {
    this.realtime.setAuthFn(
      (accessToken) => this.auth.authenticate(accessToken),
      (sessionIds) => this.lifecycle.openSessionIds(sessionIds),
    );
  }
}
