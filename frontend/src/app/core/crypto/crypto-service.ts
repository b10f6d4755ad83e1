import type { WritableSignal } from '@angular/core';
import type { OlmMachine } from '@matrix-org/matrix-sdk-crypto-wasm';
import { type CryptoWasm, loadCryptoWasm } from './crypto-wasm';
import { type E2eeTransport, type MatrixJson, matrixRoomId, matrixUserId } from './e2ee-transport';
import {
  CryptoStoreError,
  cryptoStoreName,
  defaultLocks,
  deleteDeviceStore,
  holdDevice,
  type KeyValueStorage,
  storePassphrase,
} from './device-store';
import { type MessageContent, parseMessageContent } from './message-content';
import { type AnyOutgoingRequest, sendOutgoingRequest } from './outgoing-requests';
import { sendingProblems, TrustProblemError } from './trust-decisions';
import { megolmMessageIndex } from './megolm-index';
import { DeviceSync } from './device-sync';
import { type DecryptResult, type EncryptedMessage, undecryptable, undecryptableReason } from './decrypt-result';

export { megolmMessageIndex };
export { type DecryptResult, type EncryptedMessage, UNDECRYPTABLE_MESSAGES, type UndecryptableReason } from './decrypt-result';

export interface CryptoInternals {
  wasm: CryptoWasm;
  machine: OlmMachine;
  transport: E2eeTransport;
  userId: string;
  deviceId: string;
  send(request: AnyOutgoingRequest): Promise<void>;
  pump(): Promise<void>;
}

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

/**
 * The crypto of one signed-in device: an OlmMachine with its own IndexedDB store, its traffic with the
 * server (`DeviceSync`: the request pump and the sync that feeds it), and per-conversation
 * encrypt/decrypt that share the Megolm key with every device of both members. Created at sign-in
 * (`start`), ended at sign-out (`signOut`, which deletes the keys). Decrypted content lives only in
 * memory (a small cache), never in any browser storage.
 */
export class CryptoService {
  /** Bumped after each sync that brought to-device events (new room keys): time to retry what failed. */
  readonly keysUpdated: WritableSignal<number>;
  /** Bumped after a sync that said some user's devices or identity changed (once the machine asked for them). */
  readonly devicesChanged: WritableSignal<number>;
  /** The to-device events of the last sync that had any (verification requests are read from it). */
  readonly toDeviceEvents: WritableSignal<readonly unknown[]>;

  private readonly syncer: DeviceSync;
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
  ) {
    this.syncer = new DeviceSync({ wasm, machine, transport, storage, deviceId, send: (r) => this.send(r), assertOpen: () => this.assertOpen() });
    this.keysUpdated = this.syncer.keysUpdated;
    this.devicesChanged = this.syncer.devicesChanged;
    this.toDeviceEvents = this.syncer.toDeviceEvents;
  }

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
      service.syncer.distrustLastSync();
      return service;
    } catch (error) {
      if (service) service.close();
      else release();
      throw error;
    }
  }

  /** The machine and what drives it, for the trust and backup code next to this file (device-trust.ts). */
  get internals(): CryptoInternals {
    this.assertOpen();
    return { wasm: this.wasm, machine: this.machine, transport: this.transport, userId: this.userId, deviceId: this.deviceId, send: (r) => this.send(r), pump: () => this.pump() };
  }

  /** This device's Curve25519 identity key (for showing and comparing, e.g. in the sessions list). */
  get identityKey(): string {
    this.assertOpen();
    return this.machine.identityKeys.curve25519.toBase64();
  }

  /** Sends everything OlmMachine has queued and feeds the answers back (see `DeviceSync.pump`). */
  pump(): Promise<void> {
    return this.syncer.pump();
  }

  /**
   * Fetches and feeds the machine what waits on the server (see `DeviceSync.sync`). Call it on every
   * `e2ee.sync` wake-up; calls while one runs are folded into one more round.
   */
  sync(): Promise<void> {
    return this.syncer.sync();
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

  /**
   * Encrypts without the network (the outbox while offline): only when the conversation's current Megolm
   * key already reached every device this machine knows of. Otherwise it throws and throws the
   * half-made key away, so the next send online makes a new one and shares it for real.
   */
  encryptOffline(conversationId: string, memberUserIds: string[], content: MessageContent): Promise<MatrixJson> {
    if (!parseMessageContent(content)) return Promise.reject(new Error('Refusing to encrypt content that recipients would reject'));
    const run = this.sending.then(() => this.encryptWithoutNetwork(conversationId, memberUserIds, content));
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
      return undecryptable(undecryptableReason(this.wasm, error));
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
    // Sent as another message (its clientId inside the ciphertext): a replay, even after a reload.
    if (content.clientId !== undefined && message.clientId !== undefined && content.clientId !== message.clientId) return undecryptable('replayed');
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

  private async encryptNow(conversationId: string, memberUserIds: string[], content: MessageContent): Promise<MatrixJson> {
    this.assertOpen();
    await this.syncer.catchUpBeforeSend();
    const { UserId, RoomId, EncryptionSettings, HistoryVisibility, CollectStrategy } = this.wasm;
    const members = [...new Set([this.userId, ...memberUserIds.map(matrixUserId)])];
    // The library consumes the UserId objects of an array: a fresh array for every call.
    const users = () => members.map((id) => new UserId(id));
    const roomId = matrixRoomId(conversationId);
    await this.machine.updateTrackedUsers(users());
    await this.pump();
    // Nothing goes out, not even a key, while a verified contact's change waits for the user's word.
    const problems = await sendingProblems(this.wasm, this.machine, members.filter((id) => id !== this.userId));
    if (problems.length > 0) throw new TrustProblemError(problems);
    const claim = await this.machine.getMissingSessions(users());
    if (claim) await this.send(claim);
    const settings = new EncryptionSettings();
    settings.historyVisibility = HistoryVisibility.Joined;
    // Every device the server lists but those refused; the check above stopped what a verified contact's change would let through.
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

  private async encryptWithoutNetwork(conversationId: string, memberUserIds: string[], content: MessageContent): Promise<MatrixJson> {
    this.assertOpen();
    const { UserId, RoomId, EncryptionSettings, HistoryVisibility, CollectStrategy } = this.wasm;
    const roomId = matrixRoomId(conversationId);
    if (!(await this.knowsEncrypted(conversationId))) throw new Error('This conversation has no encryption key on this device yet');
    const users = [...new Set([this.userId, ...memberUserIds.map(matrixUserId)])].map((id) => new UserId(id));
    const settings = new EncryptionSettings();
    settings.historyVisibility = HistoryVisibility.Joined;
    settings.sharingStrategy = CollectStrategy.allDevices();
    const pending = await this.machine.shareRoomKey(new RoomId(roomId), users, settings);
    if (pending.length > 0) {
      await this.machine.invalidateGroupSession(new RoomId(roomId));
      throw new Error('The encryption key must reach a device first');
    }
    const encrypted = await this.machine.encryptRoomEvent(new RoomId(roomId), 'm.room.message', JSON.stringify(content));
    return JSON.parse(encrypted) as MatrixJson;
  }

  private send(request: AnyOutgoingRequest): Promise<void> {
    this.assertOpen();
    return sendOutgoingRequest(this.wasm, this.machine, this.transport, request, () => this.assertOpen());
  }

  private decryptionSettings() {
    return new this.wasm.DecryptionSettings(this.wasm.TrustRequirement.Untrusted);
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

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
