import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../common/current-user.decorator.js';
import { Clock } from '../common/clock.js';
import { AppConfig } from '../config/app-config.js';
import { decodeCursor, encodeCursor } from '../common/pagination.js';
import { Transactions, type Tx } from '../database/transaction.js';
import type { BackupKeysDto, BackupKeysPageDto, BackupKeysResponseDto, BackupVersionCreateDto, BackupVersionCreatedDto, BackupVersionDto, KeyBackupDataDto } from './dto/key-backup.dto.js';
import { backupFull, backupNotFound, invalidBackup, wrongBackupVersion } from './errors.js';
import { hasLoneSurrogate, isPlainObject } from './key-shapes.js';
import { KeyBackupRepository, type BackupKeyRow } from './key-backup.repository.js';
import { conversationIdOfRoomId } from './matrix-ids.js';

/** A backed-up session in an export: labelled, since only the user's recovery key can open `session_data`. */
export type ExportedBackupSession = KeyBackupDataDto & { roomId: string; sessionId: string; encrypted: true };

export const BACKUP_ALGORITHM = 'm.megolm_backup.v1.curve25519-aes-sha2';
/** Sessions in one upload (OlmMachine sends 100 at a time). */
export const MAX_BACKUP_KEYS_PER_UPLOAD = 1000;
/** Sessions one backup holds: one per conversation and rotation, so far beyond a person's history. */
export const MAX_BACKUP_KEYS = 100_000;
/** A backed-up session's ciphertext (an exported Megolm session is well under 1 KiB). */
const MAX_CIPHERTEXT = 8192;

const CURVE_KEY = /^[A-Za-z0-9+/]{43}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const SESSION_ID = /^[A-Za-z0-9+/=_-]{1,255}$/;

/**
 * Key backups (Matrix `room_keys`): Megolm sessions encrypted on the device to the backup's public
 * key, whose private half (the recovery key) the server never sees. The server checks shapes only
 * and stores `session_data` as it came; it cannot read it.
 */
@Injectable()
export class KeyBackupService {
  constructor(
    private readonly backups: KeyBackupRepository,
    private readonly transactions: Transactions,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  async createVersion(caller: AuthUser, dto: BackupVersionCreateDto): Promise<BackupVersionCreatedDto> {
    if (dto.algorithm !== BACKUP_ALGORITHM) throw invalidBackup(`algorithm must be ${BACKUP_ALGORITHM}`);
    const authData = checkAuthData(dto.auth_data);
    const version = await this.transactions.run(async (tx) => {
      await this.backups.lockUser(tx, caller.id);
      return this.backups.createVersion(tx, caller.id, dto.algorithm, authData, this.clock.now());
    });
    return { version };
  }

  /** The current backup, or the one named. */
  async getVersion(caller: AuthUser, version?: string): Promise<BackupVersionDto> {
    const row = await this.backups.versionOf(caller.id, version);
    if (!row) throw backupNotFound();
    return { algorithm: row.algorithm, auth_data: row.auth_data, version: row.version, count: row.count, etag: row.etag };
  }

  async deleteVersion(caller: AuthUser, version: string): Promise<void> {
    const deleted = await this.transactions.run(async (tx) => {
      await this.backups.lockUser(tx, caller.id);
      return this.backups.deleteVersion(tx, caller.id, version);
    });
    if (!deleted) throw backupNotFound();
  }

  /**
   * Stores sessions in the current backup. A session already there is replaced only by a better copy
   * (verified over unverified, then an earlier first message, then fewer forwards), as Matrix says.
   */
  async putKeys(caller: AuthUser, version: string, dto: BackupKeysDto): Promise<BackupKeysResponseDto> {
    const keys = checkRooms(dto.rooms);
    return this.transactions.run(async (tx) => {
      await this.backups.lockUser(tx, caller.id);
      const current = await this.backups.versionOf(caller.id, undefined, tx);
      if (!current) throw backupNotFound();
      if (current.version !== version) throw wrongBackupVersion();
      const stored = new Map(
        (await this.backups.keysOf(version, tx, { roomIds: keys.map((k) => k.room_id), sessionIds: keys.map((k) => k.session_id) })).map((k) => [`${k.room_id} ${k.session_id}`, k]),
      );
      const better = keys.filter((key) => {
        const old = stored.get(`${key.room_id} ${key.session_id}`);
        return !old || isBetter(key, old);
      });
      const added = better.filter((key) => !stored.has(`${key.room_id} ${key.session_id}`)).length;
      if (current.count + added > MAX_BACKUP_KEYS) throw backupFull(`A backup holds at most ${MAX_BACKUP_KEYS} keys`);
      const grows = better.reduce((sum, key) => {
        const old = stored.get(`${key.room_id} ${key.session_id}`);
        return sum + sealedBytes(key) - (old ? sealedBytes(old) : 0);
      }, 0);
      // Bytes as well as keys: 100,000 sessions of 8 KiB would be 800 MiB (KEY_BACKUP_MAX_BYTES).
      const maxBytes = this.config.KEY_BACKUP_MAX_BYTES;
      if (grows > 0 && (await this.backups.bytesOf(tx, version)) + grows > maxBytes) throw backupFull(`A backup holds at most ${maxBytes} bytes of keys`);
      const etag = await this.backups.upsertKeys(tx, version, better);
      return { count: await this.backups.countKeys(tx, version), etag };
    });
  }

  /**
   * The backup's sessions: without `limit` all of them, as Matrix answers; with it a page in (room,
   * session) order and `next_batch` while more follow (an Iris extension the web client uses).
   */
  async getKeys(caller: AuthUser, version: string, limit?: number, from?: string): Promise<BackupKeysPageDto> {
    const after = from === undefined ? null : decodeCursor<{ room: string; session: string }>(from, { room: 'text', session: 'text' });
    if (!(await this.backups.versionOf(caller.id, version))) throw backupNotFound();
    let rows: BackupKeyRow[];
    let next: string | undefined;
    if (limit === undefined && after === null) rows = await this.backups.keysOf(version);
    else {
      const page = limit ?? MAX_BACKUP_KEYS_PER_UPLOAD;
      rows = await this.backups.keysPage(version, after, page);
      if (rows.length > page) {
        rows = rows.slice(0, page);
        const last = rows[rows.length - 1];
        next = encodeCursor({ room: last.room_id, session: last.session_id });
      }
    }
    const rooms: BackupKeysDto['rooms'] = {};
    for (const row of rows) {
      (rooms[row.room_id] ??= { sessions: {} }).sessions[row.session_id] = toKeyBackupData(row);
    }
    return next ? { rooms, next_batch: next } : { rooms };
  }

  /**
   * For an export: the current backup's metadata (never a key: the private half is not here at all) and
   * its sessions, ciphertext only the recovery key opens, read a page at a time.
   */
  async exportOf(userId: string): Promise<{ version: BackupVersionDto; sessions: AsyncGenerator<ExportedBackupSession> } | null> {
    const row = await this.backups.versionOf(userId);
    if (!row) return null;
    return { version: { algorithm: row.algorithm, auth_data: row.auth_data, version: row.version, count: row.count, etag: row.etag }, sessions: this.exportSessions(row.version) };
  }

  private async *exportSessions(version: string): AsyncGenerator<ExportedBackupSession> {
    let after: { room: string; session: string } | null = null;
    for (;;) {
      const rows = await this.backups.keysPage(version, after, MAX_BACKUP_KEYS_PER_UPLOAD);
      for (const row of rows.slice(0, MAX_BACKUP_KEYS_PER_UPLOAD)) yield { roomId: row.room_id, sessionId: row.session_id, encrypted: true, ...toKeyBackupData(row) };
      if (rows.length <= MAX_BACKUP_KEYS_PER_UPLOAD) return;
      const last = rows[MAX_BACKUP_KEYS_PER_UPLOAD - 1];
      after = { room: last.room_id, session: last.session_id };
    }
  }

  /** For an erasure, inside its transaction. */
  erase(tx: Tx, userId: string): Promise<void> {
    return this.backups.eraseUser(tx, userId);
  }
}

/** The envelope's three base64 strings (ASCII, so characters are bytes), as KeyBackupRepository.bytesOf counts them. */
const sealedBytes = (key: BackupKeyRow) => key.session_data.ephemeral.length + key.session_data.ciphertext.length + key.session_data.mac.length;

function isBetter(candidate: BackupKeyRow, stored: BackupKeyRow): boolean {
  if (candidate.is_verified !== stored.is_verified) return candidate.is_verified;
  if (candidate.first_message_index !== stored.first_message_index) return candidate.first_message_index < stored.first_message_index;
  return candidate.forwarded_count < stored.forwarded_count;
}

const toKeyBackupData = (row: BackupKeyRow): KeyBackupDataDto => ({
  first_message_index: row.first_message_index,
  forwarded_count: row.forwarded_count,
  is_verified: row.is_verified,
  session_data: { ephemeral: row.session_data.ephemeral, ciphertext: row.session_data.ciphertext, mac: row.session_data.mac },
});

function checkAuthData(value: Record<string, unknown>): object {
  if (typeof value.public_key !== 'string' || !CURVE_KEY.test(value.public_key)) throw invalidBackup('auth_data.public_key: a curve25519 key, unpadded base64');
  const extra = Object.keys(value).filter((field) => !['public_key', 'signatures', 'iris_cross_signing'].includes(field));
  if (extra.length > 0) throw invalidBackup('auth_data holds only public_key, signatures and iris_cross_signing');
  const sealed = value.iris_cross_signing;
  const sealedValid =
    sealed === undefined ||
    (isPlainObject(sealed) &&
      Object.keys(sealed).length === 2 &&
      typeof sealed.iv === 'string' &&
      BASE64.test(sealed.iv) &&
      sealed.iv.length <= 32 &&
      typeof sealed.ciphertext === 'string' &&
      BASE64.test(sealed.ciphertext) &&
      sealed.ciphertext.length <= 1024);
  if (!sealedValid) throw invalidBackup('auth_data.iris_cross_signing: { iv, ciphertext }, base64');
  const signatures = value.signatures ?? {};
  const valid =
    isPlainObject(signatures) &&
    Object.keys(signatures).length <= 4 &&
    Object.values(signatures).every(
      (byUser) => isPlainObject(byUser) && Object.keys(byUser).length <= 16 && Object.entries(byUser).every(([id, sig]) => id.length <= 255 && typeof sig === 'string' && sig.length <= 128),
    );
  if (!valid || hasLoneSurrogate(signatures)) throw invalidBackup('auth_data.signatures: { userId: { keyId: signature } }');
  return { public_key: value.public_key, signatures, ...(sealed === undefined ? {} : { iris_cross_signing: sealed }) };
}

/** The sessions of an upload, each shaped as `KeyBackupData` with opaque `session_data`; anything else refuses the upload. */
function checkRooms(rooms: unknown): BackupKeyRow[] {
  if (!isPlainObject(rooms)) throw invalidBackup('rooms: { roomId: { sessions: { sessionId: KeyBackupData } } }');
  const out: BackupKeyRow[] = [];
  for (const [roomId, room] of Object.entries(rooms)) {
    if (!conversationIdOfRoomId(roomId)) throw invalidBackup(`${roomId}: not a room id of this server`);
    if (!isPlainObject(room) || !isPlainObject(room.sessions) || Object.keys(room).length !== 1) throw invalidBackup(`${roomId}: { sessions: { ... } }`);
    for (const [sessionId, data] of Object.entries(room.sessions)) {
      if (!SESSION_ID.test(sessionId)) throw invalidBackup(`${roomId}: session ids are 1–255 characters of base64`);
      out.push({ room_id: roomId, session_id: sessionId, ...checkKeyBackupData(data, sessionId) });
      if (out.length > MAX_BACKUP_KEYS_PER_UPLOAD) throw invalidBackup(`At most ${MAX_BACKUP_KEYS_PER_UPLOAD} sessions per upload`);
    }
  }
  return out;
}

function checkKeyBackupData(data: unknown, sessionId: string): Omit<BackupKeyRow, 'room_id' | 'session_id'> {
  const what = `session ${sessionId}`;
  if (!isPlainObject(data) || Object.keys(data).some((field) => !['first_message_index', 'forwarded_count', 'is_verified', 'session_data'].includes(field))) {
    throw invalidBackup(`${what}: holds only first_message_index, forwarded_count, is_verified and session_data`);
  }
  const { first_message_index: index, forwarded_count: forwarded, is_verified: verified, session_data: sealed } = data;
  if (!Number.isSafeInteger(index) || (index as number) < 0 || (index as number) > 2 ** 31 - 1) throw invalidBackup(`${what}: first_message_index is a whole number`);
  if (!Number.isSafeInteger(forwarded) || (forwarded as number) < 0 || (forwarded as number) > 2 ** 31 - 1) throw invalidBackup(`${what}: forwarded_count is a whole number`);
  if (typeof verified !== 'boolean') throw invalidBackup(`${what}: is_verified is true or false`);
  // Only the three fields of the encrypted envelope are stored: nothing readable can ride along.
  const valid =
    isPlainObject(sealed) &&
    Object.keys(sealed).length === 3 &&
    typeof sealed.ephemeral === 'string' &&
    CURVE_KEY.test(sealed.ephemeral) &&
    typeof sealed.ciphertext === 'string' &&
    sealed.ciphertext.length <= MAX_CIPHERTEXT &&
    BASE64.test(sealed.ciphertext) &&
    typeof sealed.mac === 'string' &&
    sealed.mac.length <= 64 &&
    BASE64.test(sealed.mac);
  if (!valid) throw invalidBackup(`${what}: session_data is exactly { ephemeral, ciphertext, mac }, base64`);
  return {
    first_message_index: index as number,
    forwarded_count: forwarded as number,
    is_verified: verified,
    session_data: { ephemeral: sealed.ephemeral as string, ciphertext: sealed.ciphertext as string, mac: sealed.mac as string },
  };
}
