import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import type { AuthUser } from '../common/current-user.decorator.js';
import type { RevokedSessionsDto, SessionE2eeDto, SessionListDto } from './dto/session.dto.js';
import { sessionNotFound } from './errors.js';
import { SessionLifecycleService } from './session-lifecycle.service.js';
import { type EndedSessionRow, SessionsRepository } from './sessions.repository.js';
import { TotpService } from './totp.service.js';
import type { Tx } from '../database/transaction.js';

/** The end-to-end encryption devices among these sessions of the user, by session id. */
export type SessionDevicesFn = (userId: string, sessionIds: string[]) => Promise<Map<string, SessionE2eeDto>>;

/**
 * The user's own view of where they are signed in, and ending one of those sessions or all the
 * others. Ending goes through SessionLifecycleService, so every module's per-session data and sockets go with it.
 */
@Injectable()
export class SessionsService {
  private devicesFn: SessionDevicesFn = () => Promise.resolve(new Map());

  constructor(
    private readonly sessions: SessionsRepository,
    private readonly lifecycle: SessionLifecycleService,
    private readonly clock: Clock,
    private readonly totp: TotpService,
  ) {}

  /** Registered by the e2ee module when it starts, so auth imports none of it. */
  setDevicesFn(devicesOf: SessionDevicesFn): void {
    this.devicesFn = devicesOf;
  }

  async list(caller: AuthUser): Promise<SessionListDto> {
    const rows = await this.sessions.openOfUser(caller.id, this.clock.now());
    const devices = await this.devicesFn(
      caller.id,
      rows.map((row) => row.id),
    );
    return {
      items: rows.map((row) => ({
        id: row.id,
        current: row.id === caller.sessionId,
        deviceName: row.deviceName,
        ip: row.ip,
        createdAt: row.createdAt,
        lastActiveAt: row.lastUsedAt,
        e2ee: devices.get(row.id) ?? null,
      })),
    };
  }

  /** Ends one open session of the caller (their own current one too: that is a sign-out). */
  async revoke(caller: AuthUser, sessionId: string): Promise<void> {
    const ended = await this.lifecycle.endSessions((tx, now) => this.endWithPendingSignIns(tx, caller.id, () => this.sessions.revokeOfUser(tx, caller.id, sessionId, now)));
    if (ended.length === 0) throw sessionNotFound();
  }

  /** "Sign out everywhere else": every open session of the caller but the calling one. */
  async revokeOthers(caller: AuthUser): Promise<RevokedSessionsDto> {
    const ended = await this.lifecycle.endSessions((tx, now) =>
      this.endWithPendingSignIns(tx, caller.id, () => this.sessions.revokeOthersOfUser(tx, caller.id, caller.sessionId, now)),
    );
    return { revoked: ended.length };
  }

  /**
   * A user who ends a session they do not trust ends the sign-ins still waiting for their second step
   * too: whoever holds the password may be behind one of those as well.
   */
  private async endWithPendingSignIns(tx: Tx, userId: string, revoke: () => Promise<EndedSessionRow[]>): Promise<EndedSessionRow[]> {
    const ended = await revoke();
    if (ended.length > 0) await this.totp.dropChallenges(tx, userId);
    return ended;
  }
}
