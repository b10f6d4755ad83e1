import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { Transactions, type Tx } from '../database/transaction.js';
import { RealtimeService } from '../realtime/realtime.service.js';
import { type EndedSessionRow, type ExportedSession, SessionsRepository } from './sessions.repository.js';

export type { ExportedSession } from './sessions.repository.js';

/**
 * Runs inside the transaction that ends these sessions (sign-out, a revoked token family, a password
 * change, expiry), so what another module keeps per session goes with it; answers what to run after
 * the commit. Registered by that module when it starts (e2ee), so auth imports none of them.
 */
export type SessionsEndedHook = (tx: Tx, ended: EndedSessionRow[]) => Promise<() => void>;

const DAY_MS = 86_400_000;

// Rotated tokens are kept this long so a replay revokes the session; an older replay is simply refused.
const USED_TOKEN_RETENTION_MS = 7 * DAY_MS;

/**
 * How sessions end and what other modules ask about them: the sessions-ended hooks every ending runs,
 * the cleanup of ended sessions, and whether a session is still open (for sockets, E2EE, privacy).
 */
@Injectable()
export class SessionLifecycleService {
  private readonly sessionsEndedHooks: SessionsEndedHook[] = [];

  constructor(
    private readonly sessions: SessionsRepository,
    private readonly transactions: Transactions,
    private readonly clock: Clock,
    private readonly realtime: RealtimeService,
  ) {}

  /** Deletes ended sessions (with their tokens) and long-rotated tokens; safe to run on every instance at once. */
  async deleteEndedSessions(): Promise<{ sessions: number; refreshTokens: number }> {
    const now = this.clock.now();
    const { deleted, afterCommit } = await this.transactions.run(async (tx) => {
      const afterCommit = await this.sessionsEnded(tx, await this.sessions.expiredUnended(tx, now));
      return { afterCommit, deleted: await this.sessions.deleteEnded(tx, now, new Date(now.getTime() - USED_TOKEN_RETENTION_MS)) };
    });
    afterCommit();
    return deleted;
  }

  /**
   * Ends the sessions `select` answers (it runs inside the transaction and ends them there), with
   * everything other modules keep per session, then closes their sockets after telling them why.
   */
  async endSessions(select: (tx: Tx, now: Date) => Promise<EndedSessionRow[]>): Promise<EndedSessionRow[]> {
    const { ended, afterCommit } = await this.transactions.run(async (tx) => {
      const ended = await select(tx, this.clock.now());
      return { ended, afterCommit: await this.sessionsEnded(tx, ended) };
    });
    this.realtime.endSessions(ended.map((session) => session.sessionId));
    afterCommit();
    return ended;
  }

  /** Registers what must happen, inside the same transaction, when sessions end (see SessionsEndedHook). */
  onSessionsEnded(hook: SessionsEndedHook): void {
    this.sessionsEndedHooks.push(hook);
  }

  /** Inside the transaction that ended `ended`: runs every hook, and answers what to run after the commit. */
  async sessionsEnded(tx: Tx, ended: EndedSessionRow[]): Promise<() => void> {
    if (ended.length === 0) return () => undefined;
    const after: (() => void)[] = [];
    for (const hook of this.sessionsEndedHooks) after.push(await hook(tx, ended));
    return () => after.forEach((run) => run());
  }

  /** Those of `sessionIds` that are still open (not ended, not expired). */
  async openSessionIds(sessionIds: string[]): Promise<Set<string>> {
    if (sessionIds.length === 0) return new Set();
    return new Set(await this.sessions.openIds(sessionIds, this.clock.now()));
  }

  /**
   * Inside a transaction that adds something per session (E2EE device keys): whether the session is
   * still open. Take the lock the sessions-ended hook takes first, so that a sign-out either is seen
   * here or runs its hook after this transaction commits.
   */
  isSessionOpen(tx: Tx, sessionId: string): Promise<boolean> {
    return this.sessions.isOpen(tx, sessionId, this.clock.now());
  }

  /** For an erasure, inside its transaction: how many sessions the user has. */
  erasureCount(tx: Tx, userId: string): Promise<number> {
    return this.sessions.countOfUser(tx, userId);
  }

  /** Every sign-in of the user, revoked and expired ones too, for an export; never a token or its hash. */
  exportSessions(userId: string): Promise<ExportedSession[]> {
    return this.sessions.exportOfUser(userId);
  }
}
