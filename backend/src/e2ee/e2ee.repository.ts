import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { prepared, runPrepared } from '../database/prepared.js';
import { managerFor, managerOf, type Tx } from '../database/transaction.js';
import type { DeviceListChangeKind } from './e2ee-device-list-change.entity.js';
import type { StoredDeviceKeys, StoredSignedKey } from './key-shapes.js';

export interface ContactRow {
  user_id: string;
  blocked: boolean;
}

export interface DeviceRow {
  session_id: string;
  user_id: string;
  device_keys: StoredDeviceKeys;
}

export interface ToDeviceRow {
  event_type: string;
  sender_user_id: string;
  content: Record<string, unknown>;
}

export interface DeviceListChangeRow {
  user_id: string;
  kind: DeviceListChangeKind;
}

/** What `e2ee_sync` answers: refused, or the pages handed out (each with its batch, null when empty) and the key counts. */
export type SyncRow =
  | { outcome: 'SESSION_REVOKED' }
  | {
      outcome: 'synced';
      to_device_batch: string | null;
      to_device: ToDeviceRow[];
      to_device_more: boolean;
      changes_batch: string | null;
      changes: DeviceListChangeRow[];
      changes_more: boolean;
      one_time_key_count: number;
      unused_fallback_key: boolean;
    };

/** The arguments of `e2ee_sync`, in order (database/schema/e2ee-functions.ts). */
export type SyncParams = [
  sessionId: string,
  userId: string,
  tokenVersion: number,
  now: Date,
  ackToDevice: string | null,
  ackChanges: string | null,
  toDeviceLimit: number,
  changesLimit: number,
];

/** A device's sync in one statement, prepared (database/prepared.ts): every device runs it after each wake-up. */
export const SYNC = prepared(
  'e2ee_sync',
  `SELECT outcome, to_device_batch::text AS to_device_batch, to_device, to_device_more,
          changes_batch::text AS changes_batch, changes, changes_more, one_time_key_count, unused_fallback_key
     FROM e2ee_sync($1, $2, $3, $4, $5, $6, $7, $8)`,
);

/** A key share, for `e2ee_send_to_device` (database/schema/e2ee-functions.ts). */
export interface ToDeviceSend {
  sessionId: string;
  userId: string;
  tokenVersion: number;
  now: Date;
  txnId: string;
  eventType: string;
  /** In request order; `userId` null for an id that names no user of ours, `deviceId` a device id or `*`. */
  targets: { userId: string | null; deviceId: string; content: object }[];
  queueCap: number;
  senderCap: number;
}

export type ToDeviceSendRow =
  | { outcome: 'SESSION_REVOKED' }
  | { outcome: 'RECIPIENT_NOT_ALLOWED' }
  | { outcome: 'sent' | 'replayed'; /** The devices that got a message. */ recipients: string[] };

/** A key share in one statement, prepared (database/prepared.ts): every room key rotation sends one. */
export const SEND_TO_DEVICE = prepared(
  'e2ee_send_to_device',
  'SELECT outcome, recipients FROM e2ee_send_to_device($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)',
);

/** Devices, their keys, their to-device queues and device-list announcements. */
@Injectable()
export class E2eeRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** database/schema/e2ee-functions.ts `e2ee_lock_device`: serialises writes to one device (session) with its syncs. */
  async lockDevices(tx: Tx, sessionIds: string[]): Promise<void> {
    for (const id of [...new Set(sessionIds)].sort()) {
      await managerOf(tx).query(`SELECT e2ee_lock_device($1)`, [id]);
    }
  }

  /** database/schema/e2ee-functions.ts `e2ee_contacts`: friends and conversation peers, with whether a block stands between. */
  contacts(userId: string, tx?: Tx): Promise<ContactRow[]> {
    return managerFor(this.dataSource, tx).query(`SELECT user_id, blocked FROM e2ee_contacts($1)`, [userId]);
  }

  /** database/schema/e2ee-functions.ts `e2ee_writable_users`: the user and their contacts with no block either way. */
  async writableUsers(userId: string): Promise<string[]> {
    const rows: { user_id: string }[] = await this.dataSource.query(`SELECT user_id FROM e2ee_writable_users($1)`, [userId]);
    return rows.map((row) => row.user_id);
  }

  async deviceKeysOf(tx: Tx, sessionId: string): Promise<StoredDeviceKeys | null> {
    const [row]: { device_keys: StoredDeviceKeys }[] = await managerOf(tx).query(`SELECT device_keys FROM e2ee_devices WHERE session_id = $1`, [sessionId]);
    return row?.device_keys ?? null;
  }

  async insertDevice(tx: Tx, device: { sessionId: string; userId: string; deviceKeys: StoredDeviceKeys; createdAt: Date }): Promise<void> {
    await managerOf(tx).query(`INSERT INTO e2ee_devices (session_id, user_id, device_keys, created_at) VALUES ($1, $2, $3, $4)`, [
      device.sessionId,
      device.userId,
      JSON.stringify(device.deviceKeys),
      device.createdAt,
    ]);
  }

  /** Devices (with keys) of these users. With `openAt`, only those whose session is open then (`e2ee_open_devices`). */
  devicesOf(userIds: string[], tx?: Tx, openAt?: Date): Promise<DeviceRow[]> {
    if (userIds.length === 0) return Promise.resolve([]);
    return managerFor(this.dataSource, tx).query(
      `SELECT d.session_id, d.user_id, d.device_keys FROM ${openAt ? 'e2ee_open_devices($2)' : 'e2ee_devices'} d
        WHERE d.user_id = ANY($1::uuid[]) ORDER BY d.user_id, d.created_at, d.session_id`,
      openAt ? [userIds, openAt] : [userIds],
    );
  }

  async countOneTimeKeys(sessionId: string, tx?: Tx): Promise<number> {
    const [row]: { n: number }[] = await managerFor(this.dataSource, tx).query(`SELECT count(*)::int AS n FROM e2ee_one_time_keys WHERE session_id = $1`, [
      sessionId,
    ]);
    return row.n;
  }

  /** Adds the keys whose ids are new; a key id already stored keeps its key. */
  async insertOneTimeKeys(tx: Tx, sessionId: string, keys: [string, StoredSignedKey][], createdAt: Date): Promise<void> {
    if (keys.length === 0) return;
    await managerOf(tx).query(
      `INSERT INTO e2ee_one_time_keys (session_id, key_id, key, created_at)
       SELECT $1, k.key_id, k.key, $4 FROM unnest($2::text[], $3::jsonb[]) AS k (key_id, key)
       ON CONFLICT (session_id, key_id) DO NOTHING`,
      [sessionId, keys.map(([id]) => id), keys.map(([, key]) => JSON.stringify(key)), createdAt],
    );
  }

  async replaceFallbackKey(tx: Tx, sessionId: string, keyId: string, key: StoredSignedKey, createdAt: Date): Promise<void> {
    await managerOf(tx).query(
      `INSERT INTO e2ee_fallback_keys (session_id, key_id, key, used, created_at) VALUES ($1, $2, $3, false, $4)
       ON CONFLICT (session_id) DO UPDATE SET key_id = EXCLUDED.key_id, key = EXCLUDED.key, used = false, created_at = EXCLUDED.created_at`,
      [sessionId, keyId, JSON.stringify(key), createdAt],
    );
  }

  /** Takes (deletes) one one-time key of the device; a key another claim holds is skipped, never handed out twice. */
  async claimOneTimeKey(tx: Tx, sessionId: string): Promise<{ key_id: string; key: StoredSignedKey } | undefined> {
    const [[row]]: [{ key_id: string; key: StoredSignedKey }[], number] = await managerOf(tx).query(
      `DELETE FROM e2ee_one_time_keys
        WHERE (session_id, key_id) = (SELECT session_id, key_id FROM e2ee_one_time_keys WHERE session_id = $1
                                       ORDER BY created_at, key_id LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING key_id, key`,
      [sessionId],
    );
    return row;
  }

  /** The device's fallback key, marked used; it stays until replaced. */
  async claimFallbackKey(tx: Tx, sessionId: string): Promise<{ key_id: string; key: StoredSignedKey } | undefined> {
    const [[row]]: [{ key_id: string; key: StoredSignedKey }[], number] = await managerOf(tx).query(
      `UPDATE e2ee_fallback_keys SET used = true WHERE session_id = $1 RETURNING key_id, key`,
      [sessionId],
    );
    return row;
  }

  /** database/schema/e2ee-functions.ts `e2ee_send_to_device`: the session check, who may be sent to, the transaction id, the queues. */
  async sendToDevice(send: ToDeviceSend): Promise<ToDeviceSendRow> {
    const [row] = await runPrepared<ToDeviceSendRow>(this.dataSource.manager, SEND_TO_DEVICE, [
      send.sessionId,
      send.userId,
      send.tokenVersion,
      send.now,
      send.txnId,
      send.eventType,
      send.targets.map((target) => target.userId),
      send.targets.map((target) => target.deviceId),
      send.targets.map((target) => JSON.stringify(target.content)),
      send.queueCap,
      send.senderCap,
    ]);
    return row;
  }

  /**
   * Tells each recipient device that `userId`'s devices changed (or that they left). A newer
   * announcement replaces an older one, under a new id and not yet handed out, so an acknowledgement
   * of the older one cannot delete it.
   */
  async announce(tx: Tx, recipientSessionIds: string[], userId: string, kind: DeviceListChangeKind, createdAt: Date): Promise<void> {
    if (recipientSessionIds.length === 0) return;
    await managerOf(tx).query(
      `INSERT INTO e2ee_device_list_changes (recipient_session_id, user_id, kind, created_at)
       SELECT r, $2, $3, $4 FROM unnest($1::uuid[]) AS r ORDER BY r
       ON CONFLICT (recipient_session_id, user_id)
       DO UPDATE SET id = nextval(pg_get_serial_sequence('e2ee_device_list_changes', 'id')), kind = EXCLUDED.kind, created_at = EXCLUDED.created_at,
                     batch = NULL`,
      [[...new Set(recipientSessionIds)], userId, kind, createdAt],
    );
  }

  /** database/schema/e2ee-functions.ts `e2ee_sync`: the session check, the acknowledgement, the next pages and the key counts. */
  async sync(params: SyncParams): Promise<SyncRow> {
    const [row] = await runPrepared<SyncRow>(this.dataSource.manager, SYNC, params);
    return row;
  }

  /**
   * Deletes the devices of these sessions with everything they hold: keys, one-time keys, fallback
   * key, queues, transaction ids. Answers the devices that had keys, which others must hear about.
   */
  async deleteDevices(tx: Tx, sessionIds: string[]): Promise<{ session_id: string; user_id: string }[]> {
    if (sessionIds.length === 0) return [];
    const manager = managerOf(tx);
    const ids = [...new Set(sessionIds)];
    const [deleted]: [{ session_id: string; user_id: string }[], number] = await manager.query(
      `DELETE FROM e2ee_devices WHERE session_id = ANY($1::uuid[]) RETURNING session_id, user_id`,
      [ids],
    );
    for (const table of ['e2ee_one_time_keys', 'e2ee_fallback_keys', 'e2ee_to_device_txns']) {
      await manager.query(`DELETE FROM ${table} WHERE session_id = ANY($1::uuid[])`, [ids]);
    }
    for (const table of ['e2ee_to_device_messages', 'e2ee_device_list_changes']) {
      await manager.query(`DELETE FROM ${table} WHERE recipient_session_id = ANY($1::uuid[])`, [ids]);
    }
    return deleted;
  }

  /** The devices (sessions with keys) of a user. */
  async sessionIdsOfUser(tx: Tx, userId: string): Promise<string[]> {
    const rows: { id: string }[] = await managerOf(tx).query(`SELECT session_id AS id FROM e2ee_devices WHERE user_id = $1`, [userId]);
    return rows.map((row) => row.id);
  }

  /** For an erasure: what others were told about, or sent by, the user goes with them. */
  async forgetUser(tx: Tx, userId: string): Promise<void> {
    await managerOf(tx).query(`DELETE FROM e2ee_device_list_changes WHERE user_id = $1`, [userId]);
    await managerOf(tx).query(`DELETE FROM e2ee_to_device_messages WHERE sender_user_id = $1`, [userId]);
  }

  async countDevicesOfUser(tx: Tx, userId: string): Promise<number> {
    const [row]: { n: number }[] = await managerOf(tx).query(`SELECT count(*)::int AS n FROM e2ee_devices WHERE user_id = $1`, [userId]);
    return row.n;
  }

  /**
   * Tells the devices of the user's contacts, and the user's own other devices, that the user's keys
   * changed; answers who to wake.
   */
  async announceChange(tx: Tx, userId: string, except: string[], now: Date): Promise<string[]> {
    const contacts = (await this.contacts(userId, tx)).map((contact) => contact.user_id);
    const skip = new Set(except);
    const recipients = (await this.devicesOf([userId, ...contacts], tx)).map((device) => device.session_id).filter((id) => !skip.has(id));
    await this.announce(tx, recipients, userId, 'changed', now);
    return recipients;
  }

  /** Deletes undelivered messages, transaction ids and `left` announcements older than `before`. */
  async deleteOlderThan(before: Date): Promise<number> {
    let deleted = 0;
    for (const sql of [
      `DELETE FROM e2ee_to_device_messages WHERE created_at < $1`,
      `DELETE FROM e2ee_to_device_txns WHERE created_at < $1`,
      `DELETE FROM e2ee_device_list_changes WHERE kind = 'left' AND created_at < $1`,
    ]) {
      const [, count]: [unknown, number] = await this.dataSource.query(sql, [before]);
      deleted += count;
    }
    return deleted;
  }

  exportDevicesOf(userId: string): Promise<{ deviceId: string; createdAt: Date }[]> {
    return this.dataSource.query(`SELECT session_id AS "deviceId", created_at AS "createdAt" FROM e2ee_devices WHERE user_id = $1 ORDER BY created_at, session_id`, [
      userId,
    ]);
  }
}
