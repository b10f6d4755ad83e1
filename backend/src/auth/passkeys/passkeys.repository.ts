import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { managerFor, type Tx } from '../../database/transaction.js';
import { type PasskeyCeremony, PasskeyChallenge } from './passkey-challenge.entity.js';
import { UserPasskey } from './passkey.entity.js';

/** What spending a challenge found: it, or why not. */
export type SpentChallenge = { kind: 'spent'; userId: string | null; expiresAt: Date } | { kind: 'used' } | { kind: 'unknown' };

/** The passkeys table and the WebAuthn challenges waiting for an answer. */
@Injectable()
export class PasskeysRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  ofUser(userId: string): Promise<UserPasskey[]> {
    return this.dataSource.getRepository(UserPasskey).find({ where: { userId }, order: { createdAt: 'ASC' } });
  }

  byCredentialId(credentialId: string, tx?: Tx): Promise<UserPasskey | null> {
    return managerFor(this.dataSource, tx).getRepository(UserPasskey).findOneBy({ credentialId });
  }

  /** Adds the passkey; false when that credential is already registered (to anyone). */
  async add(fields: Omit<UserPasskey, 'id' | 'user' | 'lastUsedAt'>): Promise<UserPasskey | null> {
    const rows: UserPasskey[] = await this.dataSource.query(
      `INSERT INTO user_passkeys (user_id, credential_id, public_key, counter, transports, name, backed_up, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (credential_id) DO NOTHING RETURNING id`,
      [fields.userId, fields.credentialId, fields.publicKey, fields.counter, fields.transports, fields.name, fields.backedUp, fields.createdAt],
    );
    return rows.length > 0 ? this.dataSource.getRepository(UserPasskey).findOneByOrFail({ id: rows[0].id }) : null;
  }

  async rename(userId: string, id: string, name: string): Promise<UserPasskey | null> {
    const { affected } = await this.dataSource.getRepository(UserPasskey).update({ id, userId }, { name });
    return affected ? this.dataSource.getRepository(UserPasskey).findOneBy({ id }) : null;
  }

  async remove(userId: string, id: string): Promise<boolean> {
    const { affected } = await this.dataSource.getRepository(UserPasskey).delete({ id, userId });
    return !!affected;
  }

  /**
   * Records a use whose signature counter moved on: only when it is above the stored one (or both are
   * 0, for authenticators that keep no counter, as synced passkeys do). Atomic, so two instances
   * checking one assertion at once cannot both pass. False: a replay or a cloned authenticator.
   */
  async recordUse(id: string, counter: number, now: Date, tx?: Tx): Promise<boolean> {
    const [rows]: [unknown[], number] = await managerFor(this.dataSource, tx).query(
      `UPDATE user_passkeys SET counter = $2, last_used_at = $3 WHERE id = $1 AND (counter < $2 OR (counter = 0 AND $2 = 0)) RETURNING 1`,
      [id, counter, now],
    );
    return rows.length > 0;
  }

  /** Stores a new challenge; drops the expired ones on the way, so the table stays as small as the traffic of a few minutes. */
  async createChallenge(fields: Pick<PasskeyChallenge, 'challenge' | 'ceremony' | 'userId' | 'expiresAt'>, now: Date): Promise<void> {
    await this.dataSource.query(`DELETE FROM passkey_challenges WHERE expires_at <= $1`, [now]);
    await this.dataSource.getRepository(PasskeyChallenge).insert({ ...fields, usedAt: null });
  }

  /** Marks the challenge of `ceremony` used, once; a second spend finds it 'used'. */
  async spendChallenge(challenge: string, ceremony: PasskeyCeremony, now: Date, tx?: Tx): Promise<SpentChallenge> {
    const manager = managerFor(this.dataSource, tx);
    const [spent]: [{ user_id: string | null; expires_at: Date }[], number] = await manager.query(
      `UPDATE passkey_challenges SET used_at = $3 WHERE challenge = $1 AND ceremony = $2 AND used_at IS NULL RETURNING user_id, expires_at`,
      [challenge, ceremony, now],
    );
    if (spent.length > 0) return { kind: 'spent', userId: spent[0].user_id, expiresAt: new Date(spent[0].expires_at) };
    const known: unknown[] = await manager.query(`SELECT 1 FROM passkey_challenges WHERE challenge = $1 AND ceremony = $2`, [challenge, ceremony]);
    return known.length > 0 ? { kind: 'used' } : { kind: 'unknown' };
  }
}
