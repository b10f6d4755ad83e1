import { signal } from '@angular/core';
import type { KeysClaimRequest, OlmMachine, OutgoingRequest, ToDeviceRequest } from '@matrix-org/matrix-sdk-crypto-wasm';
import { type CryptoWasm, loadCryptoWasm } from './crypto-wasm';
import { type E2eeTransport, type MatrixJson, matrixRoomId, matrixUserId } from './e2ee-transport';
import {
  CryptoStoreError,
  cryptoStoreName,
  defaultLocks,
  deleteDeviceStore,
  holdDevice,
  type KeyValueStorage,
  sinceKey,
  storePassphrase,
} from './device-store';
import { type MessageContent, parseMessageContent } from './message-content';

/** An encrypted message as the API answers it (the fields decryption needs). */
export interface EncryptedMessage {
  id: string;
  conversationId: string;
  senderId: string;
  senderDeviceId?: string | null;
  createdAt: string;
  /** The `m.room.encrypted` content `encrypt` produced on the sender's device. */
  ciphertext: unknown;
}

export type UndecryptableReason = 'no-key' | 'unverified-sender' | 'untrusted-device' | 'replayed' | 'malformed' | 'invalid-content' | 'failed';

export type DecryptResult =
  | { kind: 'ok'; content: MessageContent; senderDeviceId: string | null }
  | { kind: 'undecryptable'; reason: UndecryptableReason; message: string };

/** Words a UI can show in place of a message this device cannot read (never a blank). */
export const UNDECRYPTABLE_MESSAGES: Record<UndecryptableReason, string> = {
  'no-key': 'Sent before this device signed in',
  'unverified-sender': "Can't confirm who sent this message",
  'untrusted-device': "Sent from a device that isn't verified",
  replayed: 'A copy of another message, not shown',
  malformed: 'This message is damaged and can\u2019t be shown',
  'invalid-content': 'This message isn\u2019t supported by this version of Iris',
  failed: 'This message couldn\u2019t be decrypted',
};


export interface CryptoServiceOptions {
  transport: E2eeTransport;
  /** Where the store passphrase and the sync position live (default: localStorage). */
  storage?: KeyValueStorage;
  /** Keep the keys in an IndexedDB store (default); false keeps them in memory (tests). */
  persistent?: boolean;
  /** For the IndexedDB checks and deletion (default: the global one, which the library uses too). */
  indexedDB?: IDBFactory;
  loadWasm?: () => Promise<CryptoWasm>;
  /** Web Locks (default: navigator.locks where there is one). */
  locks?: LockManager | null;
}

const DECRYPT_CACHE_SIZE = 1000;
const SEEN_INDEXES_SIZE = 50_000;
/** A sync that keeps saying `limited` still ends; the next wake-up carries on. */
/**
 * A send asks the server first when the last good sync is older than this, even with wake-ups live:
 * the backstop for a wake-up the server could not deliver (its emit is fire-and-forget).
 */
const RESYNC_BEFORE_SEND_AFTER_MS = 30_000;
const MAX_SYNC_ROUNDS = 50;

/**
 * The crypto of one signed-in device: an OlmMachine with its own IndexedDB store, a request pump that
 * sends what the machine asks for through the transport, the sync that feeds it, and per-conversation
 * encrypt/decrypt that share the Megolm key with every device of both members. Created at sign-in
 * (`start`), ended at sign-out (`signOut`, which deletes the keys). Decrypted content lives only in
 * memory (a small cache), never in any browser storage.
 */
export class CryptoService {
  /** Bumped after each sync that brought to-device events (new room keys): time to retry what failed. */
  readonly keysUpdated = signal(0);

  private pumping: Promise<void> | null = null;
  private pumpAgain = false;
  private syncing: Promise<void> | null = null;
  private syncAgain = false;
  /** When a sync last ran to the end (0: not since the service was handed out). */
  private lastGoodSyncAt = 0;
  /** The last sync failed: what it would have brought (a device-list change) may still wait. */
  private syncFailed = false;
  private sending: Promise<unknown> = Promise.resolve();
  private readonly decrypted = new Map<string, { ciphertext: string; result: DecryptResult & { kind: 'ok' } }>();
  /** Megolm session + message index → the message id it was first read under (replay detection). */
  private readonly seenIndexes = new Map<string, string>();
  private closed = false;
  /** Conversations known to be encrypted (their settings are in the store). */
  private readonly encryptedRooms = new Set<string>();

  private constructor(
    private readonly wasm: CryptoWasm,
    private readonly machine: OlmMachine,
    private readonly transport: E2eeTransport,
    private readonly storage: KeyValueStorage,
    private readonly idb: IDBFactory | undefined,
    private readonly persistent: boolean,
    private readonly releaseLock: () => void,
    /** `@<uuid>:iris` */
    readonly userId: string,
    readonly deviceId: string,
  ) {}

  /** Opens (or creates) this device's store, uploads its keys if the server lacks them and syncs once. */
  static async start(options: CryptoServiceOptions): Promise<CryptoService> {
    const storage = options.storage ?? localStorage;
    const persistent = options.persistent ?? true;
    const idb = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
    const [wasm, me] = await Promise.all([(options.loadWasm ?? loadCryptoWasm)(), options.transport.whoami()]);
    // Tabs of one browser share the sign-in, so the device: two machines on one store would corrupt it.
    const release = await holdDevice(options.locks === undefined ? defaultLocks() : options.locks, me.device_id);
    if (!release) throw new CryptoStoreError('E2EE_IN_USE');
    let service: CryptoService | null = null;
    try {
      const user = new wasm.UserId(me.user_id);
      const device = new wasm.DeviceId(me.device_id);
      let machine: OlmMachine;
      if (persistent) {
        const passphrase = await storePassphrase(storage, idb, me.device_id);
        try {
          machine = await wasm.OlmMachine.initialize(user, device, cryptoStoreName(me.device_id), passphrase);
        } catch (error) {
          throw new CryptoStoreError('E2EE_STORE_UNREADABLE', error);
        }
      } else {
        machine = await wasm.OlmMachine.initialize(user, device);
      }
      service = new CryptoService(wasm, machine, options.transport, storage, idb, persistent, release, me.user_id, me.device_id);
      await machine.updateTrackedUsers([new wasm.UserId(me.user_id)]);
      await service.pump();
      await service.sync();
      // Wake-ups that come before the caller holds the service are lost: its first send asks itself.
      service.lastGoodSyncAt = 0;
      return service;
    } catch (error) {
      if (service) service.close();
      else release();
      throw error;
    }
  }

  /** This device's Curve25519 identity key (for showing and comparing, e.g. in the sessions list). */
  get identityKey(): string {
    this.assertOpen();
    return this.machine.identityKeys.curve25519.toBase64();
  }

  /**
   * Sends everything OlmMachine has queued (key uploads, key queries, to-device messages) and feeds the
   * answers back. One pump at a time: a call while one runs makes it go round once more.
   */
  pump(): Promise<void> {
    if (this.pumping) {
      this.pumpAgain = true;
      return this.pumping;
    }
    this.pumping = (async () => {
      try {
        do {
          this.pumpAgain = false;
          this.assertOpen();
          const failures: unknown[] = [];
          for (const request of await this.machine.outgoingRequests()) {
            // Each is independent; a failure leaves that one queued and the others still go.
            await this.send(request).catch((error: unknown) => failures.push(error));
          }
          if (failures.length > 0) throw failures[0];
        } while (this.pumpAgain);
      } finally {
        this.pumping = null;
      }
    })();
    return this.pumping;
  }

  /**
   * Fetches what waits on the server (to-device events, device-list changes, one-time key counts) until
   * it has no more, feeds it to the machine and pumps. Call it on every `e2ee.sync` wake-up; calls
   * while one runs are folded into one more round.
   */
  sync(): Promise<void> {
    if (this.syncing) {
      this.syncAgain = true;
      return this.syncing;
    }
    this.syncing = (async () => {
      try {
        do {
          this.syncAgain = false;
          await this.syncRounds();
        } while (this.syncAgain);
        this.lastGoodSyncAt = Date.now();
        this.syncFailed = false;
      } catch (error) {
        this.syncFailed = true;
        throw error;
      } finally {
        this.syncing = null;
      }
    })();
    return this.syncing;
  }

  /**
   * The `m.room.encrypted` content for `content` in a conversation. Before encrypting it makes sure
   * every device of both members (this user's other devices included) has the current Megolm key;
   * after a device was removed, the machine rotates the session so the removed one never gets it.
   * Sends are serialized, so two messages never race to share a key.
   */
  encrypt(conversationId: string, memberUserIds: string[], content: MessageContent): Promise<MatrixJson> {
    if (!parseMessageContent(content)) return Promise.reject(new Error('Refusing to encrypt content that recipients would reject'));
    const run = this.sending.then(() => this.encryptNow(conversationId, memberUserIds, content));
    this.sending = run.catch(() => undefined);
    return run;
  }

  /** Never throws for a bad message: what cannot be read comes back as `undecryptable` with words. */
  async decrypt(message: EncryptedMessage): Promise<DecryptResult> {
    const ciphertext = message.ciphertext;
    if (!isObject(ciphertext) || typeof ciphertext['ciphertext'] !== 'string' || typeof ciphertext['session_id'] !== 'string') {
      return undecryptable('malformed');
    }
    const serialized = JSON.stringify(ciphertext);
    const cached = this.decrypted.get(message.id);
    if (cached?.ciphertext === serialized) {
      this.decrypted.delete(message.id);
      this.decrypted.set(message.id, cached);
      return cached.result;
    }
    if (this.closed) return undecryptable('failed');
    const roomId = matrixRoomId(message.conversationId);
    const event = {
      type: 'm.room.encrypted',
      event_id: `$${message.id}`,
      sender: matrixUserId(message.senderId),
      origin_server_ts: Date.parse(message.createdAt) || 0,
      room_id: roomId,
      content: ciphertext,
    };
    let clear: unknown;
    let senderDeviceId: string | null = null;
    try {
      const decrypted = await this.machine.decryptRoomEvent(JSON.stringify(event), new this.wasm.RoomId(roomId), this.decryptionSettings());
      clear = JSON.parse(decrypted.event);
      senderDeviceId = decrypted.senderDevice?.toString() ?? null;
      const shield = decrypted.shieldState(false);
      // The server says who sent it; the Megolm session says whose device made it. They must agree.
      const mismatched =
        shield.code === this.wasm.ShieldStateCode.MismatchedSender ||
        (senderDeviceId !== null && message.senderDeviceId != null && message.senderDeviceId !== senderDeviceId);
      shield.free();
      decrypted.free();
      if (mismatched) return undecryptable('unverified-sender');
    } catch (error) {
      return undecryptable(this.reasonFor(error));
    }
    // Megolm authenticates a ciphertext, not the message id the server files it under: the same
    // ciphertext under a second id is a replay (the server's, or anyone's who holds the database).
    const index = megolmMessageIndex(ciphertext['ciphertext'] as string);
    if (index !== null) {
      const seenKey = `${ciphertext['session_id']}|${index}`;
      const firstId = this.seenIndexes.get(seenKey);
      if (firstId !== undefined && firstId !== message.id) return undecryptable('replayed');
      this.seenIndexes.set(seenKey, message.id);
      if (this.seenIndexes.size > SEEN_INDEXES_SIZE) this.seenIndexes.delete(this.seenIndexes.keys().next().value!);
    }
    if (!isObject(clear) || clear['type'] !== 'm.room.message') return undecryptable('invalid-content');
    const content = parseMessageContent(clear['content']);
    if (!content) return undecryptable('invalid-content');
    const result = { kind: 'ok' as const, content, senderDeviceId };
    this.remember(message.id, serialized, result);
    return result;
  }

  /**
   * Whether this device has sent encrypted in the conversation (kept in its store, across reloads):
   * the conversation must not be written to in the clear whatever the server says now.
   */
  async knowsEncrypted(conversationId: string): Promise<boolean> {
    if (this.closed) return false;
    if (this.encryptedRooms.has(conversationId)) return true;
    const settings = await this.machine.getRoomSettings(new this.wasm.RoomId(matrixRoomId(conversationId)));
    settings?.free();
    if (settings) this.encryptedRooms.add(conversationId);
    return settings !== undefined;
  }

  /** Drops a message's decrypted content from memory (it expired or was deleted). */
  forget(messageId: string): void {
    this.decrypted.delete(messageId);
  }

  /** Ends the machine without deleting its keys (the page goes away, the user stays signed in). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.decrypted.clear();
    this.machine.close();
    this.releaseLock();
  }

  /** Sign-out: ends the machine and deletes this device's keys, store passphrase and sync position. */
  async signOut(): Promise<void> {
    this.close();
    await deleteDeviceStore(this.deviceId, this.storage, this.persistent ? this.idb : undefined);
  }

  private async syncRounds(): Promise<void> {
    const { UserId, DeviceLists } = this.wasm;
    for (let round = 0; round < MAX_SYNC_ROUNDS; round++) {
      this.assertOpen();
      const response = await this.transport.sync(this.storage.getItem(sinceKey(this.deviceId)));
      this.assertOpen();
      const events = response.to_device?.events ?? [];
      const changed = (response.device_lists?.changed ?? []).map((id) => new UserId(id));
      const left = (response.device_lists?.left ?? []).map((id) => new UserId(id));
      const fallback = response.device_unused_fallback_key_types;
      await this.machine.receiveSyncChanges(
        JSON.stringify(events),
        new DeviceLists(changed, left),
        new Map(Object.entries(response.device_one_time_keys_count ?? {})),
        fallback ? new Set(fallback) : undefined,
      );
      // The machine has stored what it received: acknowledging it lets the server delete it.
      this.storage.setItem(sinceKey(this.deviceId), response.next_batch);
      if (events.length > 0) this.keysUpdated.update((count) => count + 1);
      await this.pump();
      if (!response.limited) return;
    }
  }

  private async encryptNow(conversationId: string, memberUserIds: string[], content: MessageContent): Promise<MatrixJson> {
    this.assertOpen();
    // Device-list changes (a new or a revoked device) must be in before the key is shared. While the
    // socket is up the server's wake-up has started a sync for each change, so wait for the one in
    // flight; without the socket nothing would tell us, so ask. (A sync per send was most of the
    // server's work in the encrypted-send bench.)
    if (this.syncing) await this.syncing;
    const stale = this.syncFailed || Date.now() - this.lastGoodSyncAt > RESYNC_BEFORE_SEND_AFTER_MS;
    if (stale || !this.transport.wakeupsLive?.()) await this.sync();
    const { UserId, RoomId, EncryptionSettings, HistoryVisibility, CollectStrategy } = this.wasm;
    const members = [...new Set([this.userId, ...memberUserIds.map(matrixUserId)])];
    // The library consumes the UserId objects of an array: a fresh array for every call.
    const users = () => members.map((id) => new UserId(id));
    const roomId = matrixRoomId(conversationId);
    await this.machine.updateTrackedUsers(users());
    await this.pump();
    const claim = await this.machine.getMissingSessions(users());
    if (claim) await this.send(claim);
    const settings = new EncryptionSettings();
    settings.historyVisibility = HistoryVisibility.Joined;
    // Every device the server lists; verified identities replace this in the e2ee-trust issue.
    settings.sharingStrategy = CollectStrategy.allDevices();
    for (const request of await this.machine.shareRoomKey(new RoomId(roomId), users(), settings)) await this.send(request);
    if (!this.encryptedRooms.has(conversationId)) {
      // The library refuses to store a weaker setting later: the conversation stays encrypted here.
      const roomSettings = new this.wasm.RoomSettings();
      roomSettings.algorithm = this.wasm.EncryptionAlgorithm.MegolmV1AesSha2;
      await this.machine.setRoomSettings(new RoomId(roomId), roomSettings);
      this.encryptedRooms.add(conversationId);
    }
    const encrypted = await this.machine.encryptRoomEvent(new RoomId(roomId), 'm.room.message', JSON.stringify(content));
    return JSON.parse(encrypted) as MatrixJson;
  }

  private async send(request: OutgoingRequest | KeysClaimRequest | ToDeviceRequest): Promise<void> {
    const { RequestType } = this.wasm;
    const body = JSON.parse(request.body) as MatrixJson;
    let response: MatrixJson;
    switch (request.type) {
      case RequestType.KeysUpload:
        response = await this.transport.keysUpload(body);
        break;
      case RequestType.KeysQuery:
        response = await this.transport.keysQuery(body);
        break;
      case RequestType.KeysClaim:
        response = await this.transport.keysClaim(body);
        break;
      case RequestType.ToDevice: {
        const toDevice = request as ToDeviceRequest;
        response = await this.transport.sendToDevice(toDevice.event_type, toDevice.txn_id, body);
        break;
      }
      default:
        // Signature uploads, room messages and key backups have no route in Iris's API yet.
        return;
    }
    this.assertOpen();
    await this.machine.markRequestAsSent(request.id!, request.type, JSON.stringify(response));
  }

  private decryptionSettings() {
    return new this.wasm.DecryptionSettings(this.wasm.TrustRequirement.Untrusted);
  }

  private reasonFor(error: unknown): UndecryptableReason {
    const code = isObject(error) ? error['code'] : undefined;
    const codes = this.wasm.DecryptionErrorCode;
    switch (code) {
      case codes.MissingRoomKey:
      case codes.UnknownMessageIndex:
        return 'no-key';
      case codes.MismatchedIdentityKeys:
      case codes.UnknownSenderDevice:
      case codes.MismatchedSender:
        return 'unverified-sender';
      case codes.UnsignedSenderDevice:
      case codes.SenderIdentityVerificationViolation:
        return 'untrusted-device';
      case codes.UnableToDecrypt:
        return 'failed';
      default:
        // Not a Megolm error: the event itself did not parse.
        return 'malformed';
    }
  }

  private remember(messageId: string, ciphertext: string, result: DecryptResult & { kind: 'ok' }): void {
    this.decrypted.delete(messageId);
    this.decrypted.set(messageId, { ciphertext, result });
    if (this.decrypted.size > DECRYPT_CACHE_SIZE) this.decrypted.delete(this.decrypted.keys().next().value!);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('The crypto of this device has been shut down');
  }
}

/**
 * The message index of a Megolm ciphertext (version byte 3, then protobuf field 1, a varint), or null
 * when it does not read as one (the decryption that succeeded before says it is one).
 */
export function megolmMessageIndex(ciphertext: string): number | null {
  let binary: string;
  try {
    binary = atob(ciphertext.slice(0, 16).replace(/-/g, '+').replace(/_/g, '/'));
  } catch {
    return null;
  }
  if (binary.charCodeAt(0) !== 3 || binary.charCodeAt(1) !== 0x08) return null;
  let index = 0;
  for (let i = 2, shift = 0; i < binary.length && shift < 35; i++, shift += 7) {
    const byte = binary.charCodeAt(i);
    index += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return index;
  }
  return null;
}

function undecryptable(reason: UndecryptableReason): DecryptResult {
  return { kind: 'undecryptable', reason, message: UNDECRYPTABLE_MESSAGES[reason] };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
