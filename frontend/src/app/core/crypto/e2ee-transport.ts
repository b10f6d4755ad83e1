/**
 * The only way the crypto core reaches the server's E2EE API (DESIGN §9). Bodies and answers are the
 * Matrix client-server shapes OlmMachine builds and expects, passed through untouched; an adapter over
 * the generated SDK implements this, and specs use an in-memory server (`e2ee-transport.fixtures.ts`).
 * A failed call rejects; the request stays queued in OlmMachine and the next pump sends it again.
 */
export type MatrixJson = Record<string, unknown>;

export interface E2eeWhoami {
  /** `@<user uuid>:iris` */
  user_id: string;
  /** The sign-in session's id. */
  device_id: string;
}

export interface E2eeSyncResponse {
  next_batch: string;
  to_device?: { events: unknown[] };
  device_lists?: { changed?: string[]; left?: string[] };
  device_one_time_keys_count?: Record<string, number>;
  device_unused_fallback_key_types?: string[];
  /** More is waiting: sync again from `next_batch` at once. */
  limited?: boolean;
}

export interface E2eeTransport {
  /** `GET /api/e2ee/whoami` */
  whoami(): Promise<E2eeWhoami>;
  /** `POST /api/e2ee/keys/upload` → `{ one_time_key_counts }` */
  keysUpload(body: MatrixJson): Promise<MatrixJson>;
  /** `POST /api/e2ee/keys/query` → `{ device_keys, failures, … }` */
  keysQuery(body: MatrixJson): Promise<MatrixJson>;
  /** `POST /api/e2ee/keys/claim` → `{ one_time_keys, failures }` */
  keysClaim(body: MatrixJson): Promise<MatrixJson>;
  /** `PUT /api/e2ee/sendToDevice/:eventType/:txnId` → `{}` */
  sendToDevice(eventType: string, txnId: string, body: MatrixJson): Promise<MatrixJson>;
  /** `GET /api/e2ee/sync?since=`; `since` acknowledges (and lets the server delete) what came before. */
  sync(since: string | null): Promise<E2eeSyncResponse>;
  /**
   * Whether the server's `e2ee.sync` wake-ups reach this device now (its socket is up). While they do,
   * each device-list change starts a sync as it happens, so a send need not ask the server first.
   * Left out: never, and every send syncs first.
   */
  wakeupsLive?(): boolean;
  /** `POST /api/e2ee/keys/device_signing/upload` → `{}` (cross-signing; left out: no cross-signing) */
  signingKeysUpload?(body: MatrixJson): Promise<MatrixJson>;
  /** `POST /api/e2ee/keys/signatures/upload` → `{ failures }` */
  signaturesUpload?(body: MatrixJson): Promise<MatrixJson>;
  /** `POST /api/e2ee/room_keys/version` → `{ version }` (key backup; left out: no backup) */
  backupCreate?(body: MatrixJson): Promise<{ version: string }>;
  /** `GET /api/e2ee/room_keys/version`: the current backup, or null when there is none. */
  backupCurrent?(): Promise<E2eeBackupVersion | null>;
  /** `PUT /api/e2ee/room_keys/keys?version=` → `{ count, etag }` */
  backupPut?(version: string, body: MatrixJson): Promise<MatrixJson>;
  /** `GET /api/e2ee/room_keys/keys?version=&limit=&from=` → `{ rooms, next_batch? }`: one page, `from` the previous page's `next_batch` */
  backupGet?(version: string, from?: string): Promise<E2eeBackupKeys>;
}

export interface E2eeBackupVersion {
  version: string;
  algorithm: string;
  auth_data: { public_key: string; iris_cross_signing?: { iv: string; ciphertext: string } };
  count: number;
}

export interface E2eeBackupKeys {
  rooms: Record<string, { sessions: Record<string, { session_data: { ephemeral: string; ciphertext: string; mac: string } }> }>;
  /** Set while more pages follow. */
  next_batch?: string;
}

/** Synthetic Matrix ids (DESIGN §9): never the username, which changes and is erased. */
export function matrixUserId(userId: string): string {
  return `@${userId}:iris`;
}

export function matrixRoomId(conversationId: string): string {
  return `!${conversationId}:iris`;
}

/** The user's uuid in `@<uuid>:iris`, or null when it is not an Iris id. */
export function userIdOf(matrixId: string): string | null {
  return /^@([^:]+):iris$/.exec(matrixId)?.[1] ?? null;
}
