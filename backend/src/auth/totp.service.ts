import { Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import { Clock } from '../common/clock.js';
import type { AuthUser } from '../common/current-user.decorator.js';
import { Transactions, type Tx } from '../database/transaction.js';
import { UsersService } from '../users/users.service.js';
import type { SignInOrigin } from './auth.service.js';
import type { DisableTotpDto, EnableTotpDto } from './dto/totp.dto.js';
import { type AuthErrorCode, invalidCode, totpAlreadyEnabled, totpNotEnabled, totpSetupChanged, totpSetupRequired, unauthorized, wrongPassword } from './errors.js';
import { LoginThrottle, passwordSubject, secondStepSubject } from './login-throttle.js';
import { PasswordHasher } from './password-hasher.js';
import { SessionsRepository } from './sessions.repository.js';
import { TotpRepository } from './totp.repository.js';

const PERIOD_SECONDS = 30;
const RECOVERY_CODES = 10;
const CHALLENGE_TTL_MS = 5 * 60_000;
/** Wrong codes one mfaToken may take before it is gone and the password must be typed again. */
const CHALLENGE_ATTEMPTS = 5;
const ISSUER = 'Iris';

/** What a second factor proved: which user, and where the sign-in comes from. */
export interface PassedChallenge {
  userId: string;
  origin: SignInOrigin;
}

/** Why a second factor was refused, with its stable code. */
export type Refusal = { code: AuthErrorCode; message: string };
const isNull = (refusal: Refusal | null) => refusal === null;

/**
 * TOTP second factor (RFC 6238, SHA-1, 6 digits, 30 s, as every authenticator app reads it): setup,
 * confirmation with recovery codes, the second step of a sign-in, and turning it off. A code is
 * accepted in the step before, of, or after now, and never twice: each accepted step is remembered.
 */
@Injectable()
export class TotpService {
  constructor(
    private readonly totp: TotpRepository,
    private readonly transactions: Transactions,
    private readonly usersService: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly clock: Clock,
    private readonly throttle: LoginThrottle,
    private readonly sessions: SessionsRepository,
  ) {}

  async status(userId: string): Promise<{ enabled: boolean; recoveryCodesLeft: number }> {
    const row = await this.totp.ofUser(userId);
    const enabled = !!row?.enabledAt;
    return { enabled, recoveryCodesLeft: enabled ? await this.totp.recoveryCodesLeft(userId) : 0 };
  }

  /** For an export: the state of the second factor; never the secret or a recovery code. */
  async exportOf(userId: string): Promise<{ totpEnabled: boolean; setupStartedAt: Date | null; enabledAt: Date | null; recoveryCodesLeft: number }> {
    const row = await this.totp.ofUser(userId);
    const { enabled, recoveryCodesLeft } = await this.status(userId);
    return { totpEnabled: enabled, setupStartedAt: row?.createdAt ?? null, enabledAt: row?.enabledAt ?? null, recoveryCodesLeft };
  }

  async isEnabled(userId: string): Promise<boolean> {
    return !!(await this.totp.ofUser(userId))?.enabledAt;
  }

  /** Whether the session proved the second factor (a two-step sign-in, or it turned TOTP on). */
  sessionProvedIt(sessionId: string): Promise<boolean> {
    return this.sessions.passedSecondFactor(sessionId);
  }

  async setup(caller: AuthUser): Promise<{ secret: string; otpauthUrl: string }> {
    const user = await this.usersService.getById(caller.id);
    const secret = new Secret({ size: 20 });
    if (!(await this.totp.savePending(user.id, secret.base32, this.clock.now()))) throw totpAlreadyEnabled();
    return { secret: secret.base32, otpauthUrl: totpOf(secret.base32, user.username).toString() };
  }

  /**
   * Confirms the setup with the password and a first code; answers the recovery codes, shown this once.
   * The calling session has just proved both factors, so it counts as a two-step sign-in (Session.mfaAt).
   */
  async enable(caller: AuthUser, dto: EnableTotpDto): Promise<{ recoveryCodes: string[] }> {
    // A stolen session must not lock the owner out behind an authenticator the thief holds.
    await this.checkPassword(caller.id, dto.password);
    const row = await this.totp.ofUser(caller.id);
    if (row?.enabledAt) throw totpAlreadyEnabled();
    if (!row) throw totpSetupRequired();
    const step = this.matchingStep(row.secret, dto.code);
    if (step === null) throw invalidCode('INVALID_TOTP_CODE', 'That code is not right; check the time on your phone and try the next one');
    const recoveryCodes = Array.from({ length: RECOVERY_CODES }, newRecoveryCode);
    await this.transactions.run(async (tx) => {
      const now = this.clock.now();
      // Only the secret the code was checked against: a setup restarted meanwhile (another tab) wins.
      if (!(await this.totp.enable(tx, caller.id, row.secret, step, now))) {
        throw (await this.totp.ofUser(caller.id, tx))?.enabledAt ? totpAlreadyEnabled() : totpSetupChanged();
      }
      await this.totp.replaceRecoveryCodes(tx, caller.id, recoveryCodes.map(hashCode));
      await this.sessions.markSecondFactor(tx, caller.sessionId, now);
    });
    return { recoveryCodes };
  }

  /** Turns the second factor off: the password and a current code (or a recovery code) are both needed, each counted per account. */
  async disable(caller: AuthUser, dto: DisableTotpDto): Promise<void> {
    await this.checkPassword(caller.id, dto.password);
    const row = await this.totp.ofUser(caller.id);
    if (!row?.enabledAt) throw totpNotEnabled();
    const refusal = await this.transactions.run(async (tx) => {
      const refusal = await this.throttle.attempt(secondStepSubject(caller.id), () => this.spend(tx, caller.id, row.secret, dto.code), isNull);
      if (refusal) return refusal;
      await this.totp.deleteOfUser(tx, caller.id);
      await this.sessions.clearSecondFactor(tx, caller.id);
      return null;
    });
    if (refusal) throw invalidCode(refusal.code, refusal.message);
  }

  /** After the password: a short-lived, single-use token for the second step. */
  async startChallenge(userId: string, origin: SignInOrigin): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(this.clock.now().getTime() + CHALLENGE_TTL_MS);
    await this.totp.createChallenge({ tokenHash: hashCode(token), userId, expiresAt, deviceName: origin.deviceName, ip: origin.ip });
    return token;
  }

  /**
   * The second step: the token must be known and unexpired, and the code right and unused. A wrong
   * code keeps the token for another try (up to CHALLENGE_ATTEMPTS); success spends it. `then` runs in
   * the same transaction (it starts the session), so a code is spent only by a sign-in that happens.
   */
  passChallenge<T>(mfaToken: string, code: string, then: (tx: Tx, passed: PassedChallenge) => Promise<T>): Promise<T> {
    const check = async (tx: Tx, userId: string): Promise<Refusal | null> => {
      // Inside the transaction: embedded PGlite has one connection, which the transaction holds.
      const row = await this.totp.ofUser(userId, tx);
      return row?.enabledAt ? this.spend(tx, userId, row.secret, code) : { code: 'MFA_TOKEN_INVALID', message: 'Sign in again' };
    };
    return this.passWith(mfaToken, true, check, then);
  }

  /**
   * The second step with a passkey: `check` verifies it for the token's user inside the transaction
   * (null when it passed). Not subject to the per-account lock on codes: a passkey cannot be guessed,
   * and whoever fails codes with a stolen password must not keep its owner out. `then` as above.
   */
  passChallengeWith<T>(
    mfaToken: string,
    check: (tx: Tx, userId: string) => Promise<Refusal | null>,
    then: (tx: Tx, passed: PassedChallenge) => Promise<T>,
  ): Promise<T> {
    return this.passWith(mfaToken, false, check, then);
  }

  /** The user an unexpired `mfaToken` waits for, without spending it: a passkey's options name that user's passkeys. */
  async challengeOwner(mfaToken: string): Promise<string> {
    const challenge = await this.transactions.run((tx) => this.totp.lockChallenge(tx, hashCode(mfaToken)));
    if (!challenge) throw unauthorized('MFA_TOKEN_INVALID', 'This sign-in is not waiting for a second step; sign in again');
    if (challenge.expiresAt <= this.clock.now()) throw unauthorized('MFA_TOKEN_EXPIRED', 'This sign-in took too long; sign in again');
    return challenge.userId;
  }

  private async passWith<T>(
    mfaToken: string,
    throttled: boolean,
    check: (tx: Tx, userId: string) => Promise<Refusal | null>,
    then: (tx: Tx, passed: PassedChallenge) => Promise<T>,
  ): Promise<T> {
    const outcome = await this.transactions.run(async (tx): Promise<{ done: T } | Refusal> => {
      const tokenHash = hashCode(mfaToken);
      const challenge = await this.totp.lockChallenge(tx, tokenHash);
      if (!challenge) return { code: 'MFA_TOKEN_INVALID', message: 'This sign-in is not waiting for a code; sign in again' };
      if (challenge.expiresAt <= this.clock.now()) {
        await this.totp.deleteChallenge(tx, tokenHash);
        return { code: 'MFA_TOKEN_EXPIRED', message: 'This sign-in took too long; sign in again' };
      }
      // Per account as well as per token: a new token only needs the password, which the attacker may have.
      const verify = () => check(tx, challenge.userId);
      const refusal = throttled ? await this.throttle.attempt(secondStepSubject(challenge.userId), verify, isNull) : await verify();
      if (!refusal || challenge.attempts + 1 >= CHALLENGE_ATTEMPTS) await this.totp.deleteChallenge(tx, tokenHash);
      else await this.totp.countAttempt(tx, tokenHash);
      if (refusal) return refusal;
      return { done: await then(tx, { userId: challenge.userId, origin: { deviceName: challenge.deviceName, ip: challenge.ip } }) };
    });
    if ('code' in outcome) throw unauthorized(outcome.code, outcome.message);
    return outcome.done;
  }

  /** Inside a password change or a revocation: the sign-ins waiting for a second step start over. */
  dropChallenges(tx: Tx, userId: string): Promise<void> {
    return this.totp.deleteChallengesOfUser(tx, userId);
  }

  deleteExpiredChallenges(): Promise<number> {
    return this.totp.deleteExpiredChallenges(this.clock.now());
  }

  /** For an erasure, inside its transaction. */
  erase(tx: Tx, userId: string): Promise<void> {
    return this.totp.deleteOfUser(tx, userId);
  }

  /** The caller's password, counted per account like a sign-in (hit, then verify). */
  private async checkPassword(userId: string, password: string): Promise<void> {
    const user = await this.usersService.getById(userId);
    if (!(await this.throttle.attempt(passwordSubject(user.username), () => this.hasher.verify(user.passwordHash, password)))) {
      throw wrongPassword('That password is not right');
    }
  }

  /** Spends a TOTP code (six digits) or a recovery code; null when it was good, else why not. */
  private async spend(tx: Tx, userId: string, secret: string, code: string): Promise<Refusal | null> {
    if (/^\d{6}$/.test(code)) {
      const step = this.matchingStep(secret, code);
      if (step === null) return { code: 'INVALID_TOTP_CODE', message: 'That code is not right' };
      return (await this.totp.useStep(userId, step, tx)) ? null : { code: 'TOTP_CODE_REUSED', message: 'That code was already used; wait for the next one' };
    }
    const spent = await this.totp.useRecoveryCode(userId, hashCode(normalRecoveryCode(code)), this.clock.now(), tx);
    if (spent === 'used') return null;
    if (spent === 'reused') return { code: 'RECOVERY_CODE_USED', message: 'That recovery code was already used' };
    return { code: 'RECOVERY_CODE_INVALID', message: 'That is neither a current code nor one of your recovery codes' };
  }

  /** The 30-second step the code belongs to (now, or one step either side), or null. */
  private matchingStep(secret: string, code: string): number | null {
    if (!/^\d{6}$/.test(code)) return null;
    const timestamp = this.clock.now().getTime();
    const delta = totpOf(secret).validate({ token: code, timestamp, window: 1 });
    return delta === null ? null : Math.floor(timestamp / 1000 / PERIOD_SECONDS) + delta;
  }
}

function totpOf(secret: string, label = 'Iris'): TOTP {
  return new TOTP({ issuer: ISSUER, label, algorithm: 'SHA1', digits: 6, period: PERIOD_SECONDS, secret: Secret.fromBase32(secret) });
}

/** Ten lowercase base32 characters in two groups: `abcde-fghij`, 50 bits. */
function newRecoveryCode(): string {
  const text = new Secret({ size: 10 }).base32.toLowerCase().slice(0, 10);
  return `${text.slice(0, 5)}-${text.slice(5)}`;
}

const normalRecoveryCode = (code: string) => {
  const bare = code.toLowerCase().replace(/[^a-z2-7]/g, '');
  return `${bare.slice(0, 5)}-${bare.slice(5)}`;
};

function hashCode(code: string): Buffer {
  return createHash('sha256').update(code).digest();
}
