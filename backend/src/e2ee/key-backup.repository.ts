import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { managerFor, managerOf, type Tx } from '../database/transaction.js';

export interface BackupVersionRow {
  version: string;
  algorithm: string;
  auth_data: Record<string, unknown>;
  etag: string;
  count: number;
}

export interface BackupKeyRow {
  room_id: string;
  session_id: string;
  first_message_index: number;
  forwarded_count: number;
  is_verified: boolean;
  session_data: Record<string, string>;
}

/** Key backups: versions and the encrypted Megolm sessions in them. */
@Injectable()
export class KeyBackupRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async lockUser(tx: Tx, userId: string): Promise<void> {
    await managerOf(tx).query(`SELECT pg_advisory_xact_lock(hashtextextended('e2ee-backup:' || $1::text, 0))`, [userId]);
  }

  /** The user's current (newest) backup, or the one named, with how many keys it holds. */
  async versionOf(userId: string, version?: string, tx?: Tx): Promise<BackupVersionRow | undefined> {
    const [row]: BackupVersionRow[] = await managerFor(this.dataSource, tx).query(
      `SELECT v.version::text AS version, v.algorithm, v.auth_data, v.etag::text AS etag,
              (SELECT count(*)::int FROM e2ee_backup_keys k WHERE k.version = v.version) AS count
         FROM e2ee_backup_versions v
        WHERE v.user_id = $1 AND ($2::bigint IS NULL OR v.version = $2::bigint)
        ORDER BY v.version DESC LIMIT 1`,
      [userId, version ?? null],
    );
    return row;
  }

  /** A new backup replaces the user's earlier ones (and their keys): only the newest is ever read. */
  async createVersion(tx: Tx, userId: string, algorithm: string, authData: object, createdAt: Date): Promise<string> {
    await managerOf(tx).query(`DELETE FROM e2ee_backup_versions WHERE user_id = $1`, [userId]);
    const [row]: { version: string }[] = await managerOf(tx).query(
      `INSERT INTO e2ee_backup_versions (user_id, algorithm, auth_data, created_at) VALUES ($1, $2, $3, $4) RETURNING version::text AS version`,
      [userId, algorithm, JSON.stringify(authData), createdAt],
    );
    return row.version;
  }

  async deleteVersion(tx: Tx, userId: string, version: string): Promise<boolean> {
    const [, count]: [unknown, number] = await managerOf(tx).query(`DELETE FROM e2ee_backup_versions WHERE user_id = $1 AND version = $2::bigint`, [userId, version]);
    return count > 0;
  }

  keysOf(version: string, tx?: Tx, sessions?: { roomIds: string[]; sessionIds: string[] }): Promise<BackupKeyRow[]> {
    return managerFor(this.dataSource, tx).query(
      `SELECT room_id, session_id, first_message_index, forwarded_count, is_verified, session_data FROM e2ee_backup_keys
        WHERE version = $1::bigint ${sessions ? 'AND (room_id, session_id) IN (SELECT * FROM unnest($2::text[], $3::text[]))' : ''}
        ORDER BY room_id, session_id`,
      sessions ? [version, sessions.roomIds, sessions.sessionIds] : [version],
    );
  }

  /** One page of the backup's keys in (room, session) order, after `after`; `limit` + 1 rows, so the caller sees whether more follow. */
  keysPage(version: string, after: { room: string; session: string } | null, limit: number): Promise<BackupKeyRow[]> {
    return this.dataSource.query(
      `SELECT room_id, session_id, first_message_index, forwarded_count, is_verified, session_data FROM e2ee_backup_keys
        WHERE version = $1::bigint AND ($2::text IS NULL OR (room_id, session_id) > ($2::text, $3::text))
        ORDER BY room_id, session_id LIMIT $4`,
      [version, after?.room ?? null, after?.session ?? null, limit + 1],
    );
  }

  /** The bytes the backup's encrypted sessions take, as MAX_BACKUP_BYTES counts them (ephemeral + ciphertext + mac). */
  async bytesOf(tx: Tx, version: string): Promise<number> {
    const [row]: { n: string }[] = await managerOf(tx).query(
      `SELECT coalesce(sum(octet_length(session_data->>'ephemeral') + octet_length(session_data->>'ciphertext') + octet_length(session_data->>'mac')), 0)::bigint::text AS n FROM e2ee_backup_keys WHERE version = $1::bigint`,
      [version],
    );
    return Number(row.n);
  }

  /** Writes these keys (each replacing any stored one) and bumps the etag; answers the new etag. */
  async upsertKeys(tx: Tx, version: string, keys: BackupKeyRow[]): Promise<string> {
    if (keys.length > 0) {
      await managerOf(tx).query(
        `INSERT INTO e2ee_backup_keys (version, room_id, session_id, first_message_index, forwarded_count, is_verified, session_data)
         SELECT $1::bigint, k.r, k.s, k.f, k.c, k.v, k.d FROM unnest($2::text[], $3::text[], $4::int[], $5::int[], $6::boolean[], $7::jsonb[]) AS k (r, s, f, c, v, d)
         ON CONFLICT (version, room_id, session_id) DO UPDATE SET first_message_index = EXCLUDED.first_message_index,
           forwarded_count = EXCLUDED.forwarded_count, is_verified = EXCLUDED.is_verified, session_data = EXCLUDED.session_data`,
        [
          version,
          keys.map((k) => k.room_id),
          keys.map((k) => k.session_id),
          keys.map((k) => k.first_message_index),
          keys.map((k) => k.forwarded_count),
          keys.map((k) => k.is_verified),
          keys.map((k) => JSON.stringify(k.session_data)),
        ],
      );
    }
    const [[row]]: [{ etag: string }[], number] = await managerOf(tx).query(
      `UPDATE e2ee_backup_versions SET etag = etag + $2 WHERE version = $1::bigint RETURNING etag::text AS etag`,
      [version, keys.length > 0 ? 1 : 0],
    );
    return row.etag;
  }

  async countKeys(tx: Tx, version: string): Promise<number> {
    const [row]: { n: number }[] = await managerOf(tx).query(`SELECT count(*)::int AS n FROM e2ee_backup_keys WHERE version = $1::bigint`, [version]);
    return row.n;
  }

  /** For an erasure: every backup of the user, with its keys. */
  async eraseUser(tx: Tx, userId: string): Promise<void> {
    await managerOf(tx).query(`DELETE FROM e2ee_backup_keys WHERE version IN (SELECT version FROM e2ee_backup_versions WHERE user_id = $1)`, [userId]);
    await managerOf(tx).query(`DELETE FROM e2ee_backup_versions WHERE user_id = $1`, [userId]);
  }
}
