import { Injectable, type OnModuleInit } from '@nestjs/common';
import { SessionLifecycleService } from '../auth/session-lifecycle.service.js';
import { SessionsService } from '../auth/sessions.service.js';
import { CrossSigningService } from './cross-signing.service.js';
import { E2eeService } from './e2ee.service.js';

/**
 * Lets SessionLifecycleService end a device's keys and queues with its session, and the list of sessions show
 * each one's device, without importing this module.
 */
@Injectable()
export class E2eeHooks implements OnModuleInit {
  constructor(
    private readonly lifecycle: SessionLifecycleService,
    private readonly sessions: SessionsService,
    private readonly e2ee: E2eeService,
    private readonly crossSigning: CrossSigningService,
  ) {}

  onModuleInit(): void {
    this.lifecycle.onSessionsEnded((tx, ended) => this.e2ee.sessionsEnded(tx, ended));
    this.sessions.setDevicesFn(async (userId, sessionIds) => {
      const wanted = new Set(sessionIds);
      const devices = (await this.e2ee.exportDevices(userId)).filter((device) => wanted.has(device.deviceId));
      const verified = await this.crossSigning.crossSignedDevices(userId, devices.map((device) => device.deviceId));
      return new Map(devices.map((device) => [device.deviceId, { deviceId: device.deviceId, verified: verified.has(device.deviceId) }]));
    });
  }
}
