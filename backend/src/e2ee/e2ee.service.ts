import { Injectable } from '@nestjs/common';
import { SessionLifecycleService } from '../auth/session-lifecycle.service.js';
import { sessionRevoked } from '../auth/errors.js';
import type { AuthUser, TokenClaims } from '../common/current-user.decorator.js';
import { Clock } from '../common/clock.js';
import { Transactions, type Tx } from '../database/transaction.js';
import { RealtimeService } from '../realtime/realtime.service.js';
import type { DeviceKeysDto, KeysClaimDto, KeysClaimResponseDto, KeysQueryDto, KeysQueryResponseDto, KeysUploadDto, KeysUploadResponseDto, SignedKeyDto, WhoamiDto } from './dto/keys.dto.js';
import type { SendToDeviceDto, SyncResponseDto } from './dto/to-device.dto.js';
import { CrossSigningService } from './cross-signing.service.js';
import { E2eeRepository, type ToDeviceSend } from './e2ee.repository.js';
import { KeyBackupService } from './key-backup.service.js';
import {
  deviceKeysImmutable,
  invalidKeys,
  invalidSince,
  invalidToDevice,
  oneTimeKeysFull,
  recipientNotAllowed,
  toDeviceTooLarge,
  tooManyOneTimeKeys,
  tooManyTargets,
  tooManyUsers,
} from './errors.js';
import { canonicalJson, checkDeviceKeys, checkSignedKeys, hasLoneSurrogate, isPlainObject, type StoredDeviceKeys } from './key-shapes.js';
import { isDeviceId, toMatrixUserId, userIdOfMatrixId } from './matrix-ids.js';

/** One-time keys in one upload; OlmMachine uploads at most 50 at a time. */
export const MAX_ONE_TIME_KEYS_PER_UPLOAD = 100;
/** Unclaimed one-time keys a device may hold: twice what OlmMachine keeps published, so a retry never hits it. */
export const MAX_ONE_TIME_KEYS_STORED = 200;
/** Users in one keys/query, and devices in one keys/claim or sendToDevice. */
export const MAX_USERS_PER_QUERY = 100;
export const MAX_TARGETS_PER_REQUEST = 100;
/** One to-device payload, serialised (the JSON body limit of the app also bounds the whole request). */
export const MAX_TO_DEVICE_BYTES = 64 * 1024;
/**
 * Undelivered to-device messages per device. In a 1-to-1 messenger they are mostly Megolm room keys
 * (one per conversation and rotation, about 1.5 KiB each) and, later, verification steps: a device
 * that is offline for the whole 7-day lifetime of a message while 200 contacts each rotate a few
 * times still fits. The cap bounds what one device can make the server keep (1,000 × 64 KiB at worst).
 */
export const MAX_TO_DEVICE_QUEUE = 1000;
/**
 * Undelivered messages from one user to one device: so one contact cannot fill a device's queue and
 * crowd out everyone else's room keys (it takes ten of them to fill it).
 */
export const MAX_TO_DEVICE_QUEUE_PER_SENDER = 100;
/** Undelivered to-device messages (and `left` announcements) are deleted after this. */
export const TO_DEVICE_TTL_MS = 7 * 86_400_000;
/** Rows a sync hands out at most; `limited` says more is waiting. */
export const SYNC_TO_DEVICE_PAGE = 100;
export const SYNC_DEVICE_LIST_PAGE = 500;

const EVENT_TYPE = /^[A-Za-z0-9._-]{1,255}$/;
const SINCE = /^(\d{1,18})_(\d{1,18})$/;

/** A sign-in that ended (sign-out, revoke, password change, expiry): its device goes. */
export interface EndedSession {
  userId: string;
  sessionId: string;
}

@Injectable()
export class E2eeService {
  constructor(
    private readonly e2ee: E2eeRepository,
    private readonly transactions: Transactions,
    private readonly clock: Clock,
    private readonly realtime: RealtimeService,
    private readonly sessionLifecycle: SessionLifecycleService,
    private readonly crossSigning: CrossSigningService,
    private readonly keyBackup: KeyBackupService,
  ) {}

  whoami(caller: AuthUser): WhoamiDto {
    return { user_id: toMatrixUserId(caller.id), device_id: caller.sessionId };
  }

  async uploadKeys(caller: AuthUser, dto: KeysUploadDto): Promise<KeysUploadResponseDto> {
    const userId = toMatrixUserId(caller.id);
    const deviceId = caller.sessionId;
    const deviceKeys = dto.device_keys ? checkDeviceKeys(dto.device_keys as StoredDeviceKeys, userId, deviceId) : null;
    const oneTimeKeys = checkSignedKeys(dto.one_time_keys ?? {}, userId, deviceId, 'one_time_keys');
    if (oneTimeKeys.length > MAX_ONE_TIME_KEYS_PER_UPLOAD) throw tooManyOneTimeKeys(MAX_ONE_TIME_KEYS_PER_UPLOAD);
    const fallbackKeys = checkSignedKeys(dto.fallback_keys ?? {}, userId, deviceId, 'fallback_keys');
    if (fallbackKeys.length > 1) throw invalidKeys('fallback_keys: at most one fallback key');

    const { count, woken } = await this.transactions.run(async (tx) => {
      const now = this.clock.now();
      await this.e2ee.lockDevices(tx, [deviceId]);
      // A sign-out that committed before the lock is seen here; one still running deletes what this adds.
      if (!(await this.sessionLifecycle.isSessionOpen(tx, deviceId))) throw sessionRevoked();
      let woken: string[] = [];
      if (deviceKeys) {
        const stored = await this.e2ee.deviceKeysOf(tx, deviceId);
        if (stored && canonicalJson(stored) !== canonicalJson(deviceKeys)) throw deviceKeysImmutable();
        if (!stored) {
          await this.e2ee.insertDevice(tx, { sessionId: deviceId, userId: caller.id, deviceKeys, createdAt: now });
          woken = await this.e2ee.announceChange(tx, caller.id, [deviceId], now);
        }
      }
      if (oneTimeKeys.length > 0) {
        if ((await this.e2ee.countOneTimeKeys(deviceId, tx)) + oneTimeKeys.length > MAX_ONE_TIME_KEYS_STORED) throw oneTimeKeysFull(MAX_ONE_TIME_KEYS_STORED);
        await this.e2ee.insertOneTimeKeys(tx, deviceId, oneTimeKeys, now);
      }
      if (fallbackKeys.length === 1) await this.e2ee.replaceFallbackKey(tx, deviceId, fallbackKeys[0][0], fallbackKeys[0][1], now);
      return { count: await this.e2ee.countOneTimeKeys(deviceId, tx), woken };
    });
    this.realtime.e2eeSync(woken);
    return { one_time_key_counts: { signed_curve25519: count } };
  }

  /** Device keys of the caller and of their contacts; anyone else (or any id that is not one) has no devices. */
  async queryKeys(caller: AuthUser, dto: KeysQueryDto): Promise<KeysQueryResponseDto> {
    const requested = Object.entries(dto.device_keys);
    if (requested.length > MAX_USERS_PER_QUERY) throw tooManyUsers(MAX_USERS_PER_QUERY);
    for (const [, devices] of requested) {
      if (!Array.isArray(devices) || devices.some((d) => typeof d !== 'string')) throw invalidKeys('device_keys: each user maps to a list of device ids');
    }
    const visible = await this.visibleUsers(caller.id, requested.map(([matrixId]) => matrixId));
    const rows = await this.e2ee.devicesOf([...visible.values()], undefined, this.clock.now());
    const deviceKeys: Record<string, Record<string, DeviceKeysDto>> = {};
    for (const [matrixId, devices] of requested) {
      const userId = visible.get(matrixId);
      const wanted = new Set(devices);
      deviceKeys[matrixId] = Object.fromEntries(
        rows.filter((row) => row.user_id === userId && (wanted.size === 0 || wanted.has(row.session_id))).map((row) => [row.session_id, row.device_keys]),
      );
    }
    return { device_keys: deviceKeys, failures: {}, ...(await this.crossSigning.identitiesFor(caller.id, visible, deviceKeys)) };
  }

  /**
   * One key per requested device of the caller or a contact with no block either way (a key is only
   * good for sending to the device, which a block refuses, so a blocked contact cannot drain them): a
   * one-time key, consumed, or else the fallback key.
   */
  async claimKeys(caller: AuthUser, dto: KeysClaimDto): Promise<KeysClaimResponseDto> {
    const requested: [string, string, unknown][] = [];
    for (const [matrixId, devices] of Object.entries(dto.one_time_keys)) {
      if (!isPlainObject(devices)) throw invalidKeys('one_time_keys: each user maps to { deviceId: algorithm }');
      for (const [deviceId, algorithm] of Object.entries(devices)) requested.push([matrixId, deviceId, algorithm]);
    }
    if (requested.length > MAX_TARGETS_PER_REQUEST) throw tooManyTargets(MAX_TARGETS_PER_REQUEST);
    const visible = await this.writableUsers(caller.id, [...new Set(requested.map(([matrixId]) => matrixId))]);
    const owners = new Map((await this.e2ee.devicesOf([...visible.values()], undefined, this.clock.now())).map((row) => [row.session_id, row.user_id]));
    const claimable = requested.filter(
      ([matrixId, deviceId, algorithm]) =>
        algorithm === 'signed_curve25519' && visible.has(matrixId) && isDeviceId(deviceId) && owners.get(deviceId) === visible.get(matrixId),
    );
    const oneTimeKeys: Record<string, Record<string, Record<string, SignedKeyDto>>> = {};
    await this.transactions.run(async (tx) => {
      for (const [matrixId, deviceId] of claimable) {
        const claimed = (await this.e2ee.claimOneTimeKey(tx, deviceId)) ?? (await this.e2ee.claimFallbackKey(tx, deviceId));
        if (claimed) (oneTimeKeys[matrixId] ??= {})[deviceId] = { [claimed.key_id]: claimed.key };
      }
    });
    return { one_time_keys: oneTimeKeys, failures: {} };
  }

  /**
   * Queues one payload per target device (a device named and also reached through `*` gets the one
   * named for it). Every user must be the caller or a contact with no block either way, and each
   * payload fit, or nothing is queued. A device whose queue is full (in all, or from this sender) is
   * skipped rather than the request refused: whoever filled it must not be able to stop anyone else's
   * sends; that device, far behind, misses the key and says so. Unknown devices of an allowed user are
   * skipped, as Matrix does. A transaction id the device used before queues nothing. The payloads are
   * checked here; the rest is one statement, `e2ee_send_to_device` (database/schema/e2ee-functions.ts), the
   * session check included (the route is @SessionCheckedByHandler).
   */
  async sendToDevice(caller: TokenClaims, eventType: string, txnId: string, dto: SendToDeviceDto): Promise<void> {
    if (!EVENT_TYPE.test(eventType)) throw invalidToDevice('The event type is 1–255 characters of A-Z a-z 0-9 . _ -');
    if (txnId.length === 0 || txnId.length > 255) throw invalidToDevice('The transaction id is 1–255 characters');
    const targets: ToDeviceSend['targets'] = [];
    for (const [matrixId, devices] of Object.entries(dto.messages)) {
      if (!isPlainObject(devices)) throw invalidToDevice('messages: each user maps to { deviceId | "*": content }');
      for (const [deviceId, content] of Object.entries(devices)) {
        if (!isPlainObject(content)) throw invalidToDevice('messages: each content is a JSON object');
        if (hasLoneSurrogate(content)) throw invalidToDevice('messages: text must be valid Unicode (no lone surrogates)');
        if (Buffer.byteLength(JSON.stringify(content)) > MAX_TO_DEVICE_BYTES) throw toDeviceTooLarge(MAX_TO_DEVICE_BYTES);
        targets.push({ userId: userIdOfMatrixId(matrixId), deviceId, content });
      }
    }
    if (targets.length > MAX_TARGETS_PER_REQUEST) throw tooManyTargets(MAX_TARGETS_PER_REQUEST);
    const sent = await this.e2ee.sendToDevice({
      sessionId: caller.sessionId,
      userId: caller.userId,
      tokenVersion: caller.tokenVersion,
      now: this.clock.now(),
      txnId,
      eventType,
      targets,
      queueCap: MAX_TO_DEVICE_QUEUE,
      senderCap: MAX_TO_DEVICE_QUEUE_PER_SENDER,
    });
    if (sent.outcome === 'SESSION_REVOKED') throw sessionRevoked();
    if (sent.outcome === 'RECIPIENT_NOT_ALLOWED') throw recipientNotAllowed();
    this.realtime.e2eeSync(sent.recipients);
  }

  /**
   * What waits for the calling device. `since` (a previous `next_batch`) acknowledges, and deletes,
   * everything that sync handed out; the answer is the next page. A page re-delivers what an earlier,
   * unacknowledged sync handed out (the client lost that answer, or never acknowledged it). One
   * statement, `e2ee_sync` (database/schema/e2ee-functions.ts), the session check included (the route is
   * @SessionCheckedByHandler).
   */
  async sync(caller: TokenClaims, since: string | undefined): Promise<SyncResponseDto> {
    const match = since === undefined ? null : SINCE.exec(since);
    if (since !== undefined && !match) throw invalidSince();
    const [ackToDevice, ackChanges] = match ? [match[1], match[2]] : [null, null];
    const sync = await this.e2ee.sync([
      caller.sessionId,
      caller.userId,
      caller.tokenVersion,
      this.clock.now(),
      ackToDevice,
      ackChanges,
      SYNC_TO_DEVICE_PAGE,
      SYNC_DEVICE_LIST_PAGE,
    ]);
    if (sync.outcome === 'SESSION_REVOKED') throw sessionRevoked();
    return {
      next_batch: `${sync.to_device_batch ?? ackToDevice ?? '0'}_${sync.changes_batch ?? ackChanges ?? '0'}`,
      limited: sync.to_device_more || sync.changes_more,
      to_device: { events: sync.to_device.map((row) => ({ type: row.event_type, sender: toMatrixUserId(row.sender_user_id), content: row.content })) },
      device_lists: {
        changed: sync.changes.filter((row) => row.kind === 'changed').map((row) => toMatrixUserId(row.user_id)),
        left: sync.changes.filter((row) => row.kind === 'left').map((row) => toMatrixUserId(row.user_id)),
      },
      device_one_time_keys_count: { signed_curve25519: sync.one_time_key_count },
      device_unused_fallback_key_types: sync.unused_fallback_key ? ['signed_curve25519'] : [],
    };
  }

  /**
   * Inside the transaction that ends these sessions: their devices go with all they hold, and every
   * contact's device and the user's other devices hear that the device list changed. Answers what to
   * run after the commit (the wake-ups).
   */
  async sessionsEnded(tx: Tx, ended: EndedSession[]): Promise<() => void> {
    await this.e2ee.lockDevices(
      tx,
      ended.map((session) => session.sessionId),
    );
    const deleted = await this.e2ee.deleteDevices(
      tx,
      ended.map((session) => session.sessionId),
    );
    await this.crossSigning.devicesGone(
      tx,
      ended.map((session) => session.sessionId),
    );
    const woken: string[] = [];
    for (const userId of new Set(deleted.map((device) => device.user_id))) {
      woken.push(...(await this.e2ee.announceChange(tx, userId, deleted.map((device) => device.session_id), this.clock.now())));
    }
    return () => this.realtime.e2eeSync(woken);
  }

  /** For an erasure, inside its transaction: how many devices the user has. */
  erasureCount(tx: Tx, userId: string): Promise<number> {
    return this.e2ee.countDevicesOfUser(tx, userId);
  }

  /**
   * For an erasure, inside its transaction and before the user row goes (the contacts are still
   * there to find): deletes their devices and what they sent or were told, and tells every contact's
   * device that the user left. Answers what to run after the commit.
   */
  async erase(tx: Tx, userId: string): Promise<() => void> {
    const sessions = await this.e2ee.sessionIdsOfUser(tx, userId);
    await this.e2ee.lockDevices(tx, sessions);
    await this.e2ee.deleteDevices(tx, sessions);
    await this.e2ee.forgetUser(tx, userId);
    await this.crossSigning.erase(tx, userId);
    await this.keyBackup.erase(tx, userId);
    const contacts = (await this.e2ee.contacts(userId, tx)).map((contact) => contact.user_id);
    const recipients = (await this.e2ee.devicesOf(contacts, tx)).map((device) => device.session_id);
    await this.e2ee.announce(tx, recipients, userId, 'left', this.clock.now());
    return () => this.realtime.e2eeSync(recipients);
  }

  /** The user's devices (ids and when their keys were uploaded), for an export; never keys or queued payloads. */
  exportDevices(userId: string): Promise<{ deviceId: string; createdAt: Date }[]> {
    return this.e2ee.exportDevicesOf(userId);
  }

  /** Deletes undelivered to-device messages, transaction ids and `left` announcements older than 7 days. */
  deleteExpired(): Promise<number> {
    return this.e2ee.deleteOlderThan(new Date(this.clock.now().getTime() - TO_DEVICE_TTL_MS));
  }

  /** Matrix id → user id, for the caller and their contacts among `matrixIds`. */
  private async visibleUsers(callerId: string, matrixIds: string[]): Promise<Map<string, string>> {
    const contacts = new Set((await this.e2ee.contacts(callerId)).map((contact) => contact.user_id));
    return this.resolve(matrixIds, (userId) => userId === callerId || contacts.has(userId));
  }

  /** Matrix id → user id, for the caller and their contacts with no block either way. */
  private async writableUsers(callerId: string, matrixIds: string[]): Promise<Map<string, string>> {
    const writable = new Set(await this.e2ee.writableUsers(callerId));
    return this.resolve(matrixIds, (userId) => writable.has(userId));
  }

  private resolve(matrixIds: string[], allowed: (userId: string) => boolean): Map<string, string> {
    const out = new Map<string, string>();
    for (const matrixId of matrixIds) {
      const userId = userIdOfMatrixId(matrixId);
      if (userId && allowed(userId)) out.set(matrixId, userId);
    }
    return out;
  }
}
