import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { managerFor, managerOf, type Tx } from '../database/transaction.js';
import type { CrossSigningUsage } from './e2ee-cross-signing-key.entity.js';
import type { StoredCrossSigningKey } from './cross-signing-shapes.js';

export interface CrossSigningKeyRow {
  user_id: string;
  usage: CrossSigningUsage;
  key: StoredCrossSigningKey;
}

export interface SignatureRow {
  target_user_id: string;
  target_key_id: string;
  signer_user_id: string;
  signer_key_id: string;
  signature: string;
}

export type NewSignature = SignatureRow;

/** Cross-signing keys and the signatures uploaded after the keys they sign. */
@Injectable()
export class CrossSigningRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Serialises changes to one user's cross-signing identity. */
  async lockUser(tx: Tx, userId: string): Promise<void> {
    await managerOf(tx).query(`SELECT pg_advisory_xact_lock(hashtextextended('e2ee-cross-signing:' || $1::text, 0))`, [userId]);
  }

  keysOf(userIds: string[], tx?: Tx): Promise<CrossSigningKeyRow[]> {
    if (userIds.length === 0) return Promise.resolve([]);
    return managerFor(this.dataSource, tx).query(`SELECT user_id, usage, key FROM e2ee_cross_signing_keys WHERE user_id = ANY($1::uuid[])`, [userIds]);
  }

  async replaceKey(tx: Tx, userId: string, usage: CrossSigningUsage, key: StoredCrossSigningKey, createdAt: Date): Promise<void> {
    await managerOf(tx).query(
      `INSERT INTO e2ee_cross_signing_keys (user_id, usage, key, created_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (user_id, usage) DO UPDATE SET key = EXCLUDED.key, created_at = EXCLUDED.created_at`,
      [userId, usage, JSON.stringify(key), createdAt],
    );
  }

  /** Signatures on these users' keys; a signature by someone else is kept only when `viewerId` made it. */
  signaturesOn(userIds: string[], viewerId: string): Promise<SignatureRow[]> {
    if (userIds.length === 0) return Promise.resolve([]);
    return this.dataSource.query(
      `SELECT target_user_id, target_key_id, signer_user_id, signer_key_id, signature FROM e2ee_signatures
        WHERE target_user_id = ANY($1::uuid[]) AND (signer_user_id = target_user_id OR signer_user_id = $2)
        ORDER BY target_user_id, target_key_id, signer_user_id, signer_key_id`,
      [userIds, viewerId],
    );
  }

  async insertSignatures(tx: Tx, signatures: NewSignature[], createdAt: Date): Promise<void> {
    if (signatures.length === 0) return;
    await managerOf(tx).query(
      `INSERT INTO e2ee_signatures (target_user_id, target_key_id, signer_user_id, signer_key_id, signature, created_at)
       SELECT s.t, s.k, s.su, s.sk, s.sig, $6 FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::text[]) AS s (t, k, su, sk, sig)
       ON CONFLICT (target_user_id, target_key_id, signer_user_id, signer_key_id) DO UPDATE SET signature = EXCLUDED.signature, created_at = EXCLUDED.created_at`,
      [
        signatures.map((s) => s.target_user_id),
        signatures.map((s) => s.target_key_id),
        signatures.map((s) => s.signer_user_id),
        signatures.map((s) => s.signer_key_id),
        signatures.map((s) => s.signature),
        createdAt,
      ],
    );
  }

  /** Which of these devices the user's current self-signing key has signed (a reset deletes older signatures too). */
  async crossSignedDevices(userId: string, deviceIds: string[]): Promise<Set<string>> {
    if (deviceIds.length === 0) return new Set();
    const rows: { target_key_id: string }[] = await this.dataSource.query(
      `SELECT s.target_key_id FROM e2ee_signatures s
         JOIN e2ee_cross_signing_keys k ON k.user_id = s.signer_user_id AND k.usage = 'self_signing' AND k.key -> 'keys' ? s.signer_key_id
        WHERE s.target_user_id = $1 AND s.signer_user_id = $1 AND s.target_key_id = ANY($2::text[])`,
      [userId, deviceIds],
    );
    return new Set(rows.map((row) => row.target_key_id));
  }

  /** After a reset of the user's identity: every signature on their keys and every one they made is void. */
  async deleteSignaturesOfUser(tx: Tx, userId: string): Promise<void> {
    await managerOf(tx).query(`DELETE FROM e2ee_signatures WHERE target_user_id = $1 OR signer_user_id = $1`, [userId]);
  }

  /** A device that goes takes the signatures on it. */
  async deleteSignaturesOnDevices(tx: Tx, deviceIds: string[]): Promise<void> {
    if (deviceIds.length === 0) return;
    await managerOf(tx).query(`DELETE FROM e2ee_signatures WHERE target_key_id = ANY($1::text[])`, [deviceIds]);
  }

  /** For an erasure: the identity and every signature on or by it. */
  async eraseUser(tx: Tx, userId: string): Promise<void> {
    await this.deleteSignaturesOfUser(tx, userId);
    await managerOf(tx).query(`DELETE FROM e2ee_cross_signing_keys WHERE user_id = $1`, [userId]);
  }
}
