import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { managerFor, managerOf, type Tx } from '../database/transaction.js';
import { LoginChallenge } from './login-challenge.entity.js';
import { RecoveryCode } from './recovery-code.entity.js';
import { UserTotp } from './totp.entity.js';

/** TOTP authenticators, recovery codes and the sign-ins waiting for a second factor. */
@Injectable()
export class TotpRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  ofUser(userId: string, tx?: Tx): Promise<UserTotp | null> {
    return managerFor(this.dataSource, tx).getRepository(UserTotp).findOneBy({ userId });
  }

  /** Starts (or restarts) a setup; an enabled authenticator is left as it is. Answers whether the secret was stored. */
  async savePending(userId: string, secret: string, now: Date): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO user_totp (user_id, secret, created_at, enabled_at, last_used_step) VALUES ($1, $2, $3, NULL, NULL)
       ON CONFLICT (user_id) DO UPDATE SET secret = EXCLUDED.secret, created_at = EXCLUDED.created_at WHERE user_totp.enabled_at IS NULL
       RETURNING 1`,
      [userId, secret, now],
    );
    return rows.length > 0;
  }

  /** Turns on the pending setup if its secret is still `secret` (the one the first code was checked against). */
  async enable(tx: Tx, userId: string, secret: string, step: number, now: Date): Promise<boolean> {
    const [rows]: [unknown[], number] = await managerOf(tx).query(
      `UPDATE user_totp SET enabled_at = $2, last_used_step = $3 WHERE user_id = $1 AND enabled_at IS NULL AND secret = $4 RETURNING 1`,
      [userId, now, step, secret],
    );
    return rows.length > 0;
  }

  /** Records `step` as used if no code of it or a later step was accepted yet; false when it was (a replay). */
  async useStep(userId: string, step: number, tx?: Tx): Promise<boolean> {
    const [rows]: [unknown[], number] = await managerFor(this.dataSource, tx).query(
      `UPDATE user_totp SET last_used_step = $2
        WHERE user_id = $1 AND enabled_at IS NOT NULL AND (last_used_step IS NULL OR last_used_step < $2) RETURNING 1`,
      [userId, step],
    );
    return rows.length > 0;
  }

  async replaceRecoveryCodes(tx: Tx, userId: string, hashes: Buffer[]): Promise<void> {
    const manager = managerOf(tx);
    await manager.delete(RecoveryCode, { userId });
    await manager.insert(
      RecoveryCode,
      hashes.map((codeHash) => ({ userId, codeHash, usedAt: null })),
    );
  }

  /** Spends the code: 'used' now, 'reused' when it had been spent before, 'unknown' otherwise. */
  async useRecoveryCode(userId: string, codeHash: Buffer, now: Date, tx?: Tx): Promise<'used' | 'reused' | 'unknown'> {
    const manager = managerFor(this.dataSource, tx);
    const [spent]: [unknown[], number] = await manager.query(
      `UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL RETURNING 1`,
      [userId, codeHash, now],
    );
    if (spent.length > 0) return 'used';
    const known: unknown[] = await manager.query(`SELECT 1 FROM recovery_codes WHERE user_id = $1 AND code_hash = $2`, [userId, codeHash]);
    return known.length > 0 ? 'reused' : 'unknown';
  }

  async recoveryCodesLeft(userId: string): Promise<number> {
    const [row]: { n: number }[] = await this.dataSource.query(`SELECT count(*)::int AS n FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL`, [userId]);
    return row.n;
  }

  /** Removes the authenticator, the recovery codes and any sign-in waiting for them. */
  async deleteOfUser(tx: Tx, userId: string): Promise<void> {
    const manager = managerOf(tx);
    await manager.delete(UserTotp, { userId });
    await manager.delete(RecoveryCode, { userId });
    await manager.delete(LoginChallenge, { userId });
  }

  async createChallenge(fields: Omit<LoginChallenge, 'attempts' | 'user'>): Promise<void> {
    await this.dataSource.getRepository(LoginChallenge).insert({ ...fields, attempts: 0 });
  }

  /** The challenge, locked until the transaction ends, so two second steps with one token cannot both pass. */
  async lockChallenge(tx: Tx, tokenHash: Buffer): Promise<LoginChallenge | null> {
    return managerOf(tx).getRepository(LoginChallenge).findOne({ where: { tokenHash }, lock: { mode: 'pessimistic_write' } });
  }

  async deleteChallengesOfUser(tx: Tx, userId: string): Promise<void> {
    await managerOf(tx).delete(LoginChallenge, { userId });
  }

  async deleteChallenge(tx: Tx, tokenHash: Buffer): Promise<void> {
    await managerOf(tx).delete(LoginChallenge, { tokenHash });
  }

  async countAttempt(tx: Tx, tokenHash: Buffer): Promise<void> {
    await managerOf(tx).increment(LoginChallenge, { tokenHash }, 'attempts', 1);
  }

  async deleteExpiredChallenges(now: Date): Promise<number> {
    const result = await this.dataSource.createQueryBuilder().delete().from(LoginChallenge).where('expires_at <= :now', { now }).execute();
    return result.affected ?? 0;
  }
}
