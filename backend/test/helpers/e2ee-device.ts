// The persistent store (IndexedDB) as a browser has it: each device keeps its keys in a store of its own.
import 'fake-indexeddb/auto';
import { randomBytes } from 'node:crypto';
import {
  BackupDecryptionKey,
  CollectStrategy,
  DecryptionErrorCode,
  DecryptionSettings,
  DeviceId,
  DeviceLists,
  EncryptionSettings,
  HistoryVisibility,
  initAsync,
  type KeysBackupRequest,
  type KeysClaimRequest,
  OlmMachine,
  RequestType,
  RoomId,
  type ToDeviceRequest,
  TrustRequirement,
  UserId,
} from '@matrix-org/matrix-sdk-crypto-wasm';
import type { TestApp } from './test-app.js';
import { bearer } from './users.js';

/** An encrypted room event as a client would store it next to the server's message (`m.room.encrypted`). */
export interface EncryptedEvent {
  type: 'm.room.encrypted';
  event_id: string;
  sender: string;
  origin_server_ts: number;
  content: Record<string, unknown>;
}

interface SyncBody {
  next_batch: string;
  limited: boolean;
  to_device: { events: unknown[] };
  device_lists: { changed: string[]; left: string[] };
  device_one_time_keys_count: { signed_curve25519: number };
  device_unused_fallback_key_types: string[];
}

let eventCounter = 0;

/**
 * A real device: an OlmMachine (in-memory store) driven against the real HTTP API, as the web client
 * drives it. `initAsync` loads the wasm from the package's own `pkg/` directory with fs (its Node entry
 * point, picked by the `import` + `node` export conditions Jest uses); nothing is mocked.
 */
export class E2eeTestDevice {
  private since: string | undefined;
  /** Every sync answer, for assertions on device lists. */
  readonly syncs: SyncBody[] = [];

  private constructor(
    private readonly t: TestApp,
    public accessToken: string,
    readonly userId: string,
    readonly deviceId: string,
    readonly olm: OlmMachine,
  ) {}

  /** Signs the device in on the crypto side: learns its ids, uploads its keys, tracks its own user. */
  static async create(t: TestApp, accessToken: string): Promise<E2eeTestDevice> {
    await initAsync();
    const whoami = await t.http.get('/api/e2ee/whoami').set(bearer(accessToken)).expect(200);
    const olm = await OlmMachine.initialize(
      new UserId(whoami.body.user_id),
      new DeviceId(whoami.body.device_id),
      `iris-test-${whoami.body.device_id}`,
      randomBytes(32).toString('base64'),
    );
    const device = new E2eeTestDevice(t, accessToken, whoami.body.user_id, whoami.body.device_id, olm);
    await olm.updateTrackedUsers([new UserId(device.userId)]);
    await device.flush();
    return device;
  }

  /** Runs every request the machine wants and feeds the answers back. */
  async flush(): Promise<void> {
    for (let round = 0; round < 10; round++) {
      const requests = await this.olm.outgoingRequests();
      if (requests.length === 0) return;
      for (const request of requests) {
        await this.olm.markRequestAsSent(request.id!, request.type, JSON.stringify(await this.answer(request)));
      }
    }
  }

  /** Fetches and acknowledges everything waiting for this device, page after page. */
  async sync(): Promise<void> {
    for (;;) {
      const res = await this.t.http
        .get('/api/e2ee/sync')
        .query(this.since ? { since: this.since } : {})
        .set(bearer(this.accessToken))
        .expect(200);
      const body = res.body as SyncBody;
      this.syncs.push(body);
      this.since = body.next_batch;
      await this.olm.receiveSyncChanges(
        JSON.stringify(body.to_device.events),
        new DeviceLists(
          body.device_lists.changed.map((u) => new UserId(u)),
          body.device_lists.left.map((u) => new UserId(u)),
        ),
        new Map([['signed_curve25519', body.device_one_time_keys_count.signed_curve25519]]),
        new Set(body.device_unused_fallback_key_types),
      );
      await this.flush();
      if (!body.limited) return;
    }
  }

  /** Users whose device list changed (or who left), from every sync so far. */
  changedUsers(): string[] {
    return this.syncs.flatMap((s) => s.device_lists.changed);
  }

  leftUsers(): string[] {
    return this.syncs.flatMap((s) => s.device_lists.left);
  }

  /** Makes sure every device of `members` has the room's Megolm key (new Olm sessions and a rotation as needed), then encrypts. */
  async encrypt(roomId: string, members: string[], text: string): Promise<EncryptedEvent> {
    await this.sync();
    const users = () => members.map((u) => new UserId(u));
    await this.olm.updateTrackedUsers(users());
    await this.flush();
    const claim = await this.olm.getMissingSessions(users());
    if (claim) await this.olm.markRequestAsSent(claim.id, claim.type, JSON.stringify(await this.answer(claim)));
    const settings = new EncryptionSettings();
    settings.historyVisibility = HistoryVisibility.Joined;
    settings.sharingStrategy = CollectStrategy.allDevices();
    for (const request of await this.olm.shareRoomKey(new RoomId(roomId), users(), settings)) {
      await this.olm.markRequestAsSent(request.id, request.type, JSON.stringify(await this.answer(request)));
    }
    const content = await this.olm.encryptRoomEvent(new RoomId(roomId), 'm.room.message', JSON.stringify({ msgtype: 'm.text', body: text }));
    return { type: 'm.room.encrypted', event_id: `$e${++eventCounter}`, sender: this.userId, origin_server_ts: Date.now(), content: JSON.parse(content) };
  }

  /** Syncs, then decrypts; throws the library's error (with `.code`) when it cannot. */
  async decrypt(roomId: string, event: EncryptedEvent, { sync = true } = {}): Promise<string> {
    if (sync) await this.sync();
    let decrypted;
    try {
      decrypted = await this.olm.decryptRoomEvent(JSON.stringify(event), new RoomId(roomId), new DecryptionSettings(TrustRequirement.Untrusted));
    } catch (error) {
      // The library's errors print as their wasm pointer: keep code and description readable.
      const { code, description } = error as { code: number; description: string };
      throw Object.assign(new Error(`cannot decrypt (${DecryptionErrorCode[code]}): ${description}`), { code });
    }
    return (JSON.parse(decrypted.event) as { content: { body: string } }).content.body;
  }

  /** The decryption error's code (DecryptionErrorCode), or null when it decrypts. */
  async decryptError(roomId: string, event: EncryptedEvent): Promise<number | null> {
    try {
      await this.decrypt(roomId, event, { sync: false });
      return null;
    } catch (error) {
      return (error as { code: number }).code;
    }
  }

  /** Creates (or with `reset`, replaces) the user's cross-signing identity from this device and publishes it. */
  /** A reset (keys already published) needs the account's password. */
  async bootstrapCrossSigning(reset = true, password?: string): Promise<void> {
    const requests = await this.olm.bootstrapCrossSigning(reset);
    if (requests.uploadKeysRequest) await this.olm.markRequestAsSent(requests.uploadKeysRequest.id, requests.uploadKeysRequest.type, JSON.stringify(await this.answer(requests.uploadKeysRequest)));
    const keys = JSON.parse(requests.uploadSigningKeysRequest.body);
    await this.post('/api/e2ee/keys/device_signing/upload', password === undefined ? keys : { ...keys, auth: { type: 'm.login.password', password } });
    await this.post('/api/e2ee/keys/signatures/upload', JSON.parse(requests.uploadSignaturesRequest.body));
    await this.flush();
  }

  /** Starts a key backup from this device; answers the recovery key (the backup's private key, base64). */
  async enableBackup(): Promise<{ version: string; recoveryKey: string }> {
    const key = BackupDecryptionKey.createRandomKey();
    const { version } = (await this.post('/api/e2ee/room_keys/version', {
      algorithm: key.megolmV1PublicKey.algorithm,
      auth_data: { public_key: key.megolmV1PublicKey.publicKeyBase64 },
    })) as { version: string };
    await this.olm.enableBackupV1(key.megolmV1PublicKey.publicKeyBase64, version);
    await this.olm.saveBackupDecryptionKey(key, version);
    return { version, recoveryKey: key.toBase64() };
  }

  /** Uploads every room key not backed up yet. */
  async backUp(): Promise<void> {
    for (let request = await this.olm.backupRoomKeys(); request; request = await this.olm.backupRoomKeys()) {
      await this.olm.markRequestAsSent(request.id, request.type, JSON.stringify(await this.answer(request)));
    }
  }

  /** Reads the current backup with a recovery key and imports what it decrypts; answers how many keys came in. */
  async restoreBackup(recoveryKey: string): Promise<number> {
    const key = BackupDecryptionKey.fromBase64(recoveryKey);
    const auth = bearer(this.accessToken);
    const { version } = (await this.t.http.get('/api/e2ee/room_keys/version').set(auth).expect(200)).body as { version: string };
    const { rooms } = (await this.t.http.get('/api/e2ee/room_keys/keys').query({ version }).set(auth).expect(200)).body as {
      rooms: Record<string, { sessions: Record<string, { session_data: { ephemeral: string; mac: string; ciphertext: string } }> }>;
    };
    const keys = new Map<RoomId, Map<string, unknown>>();
    for (const [roomId, room] of Object.entries(rooms)) {
      const sessions = new Map<string, unknown>();
      for (const [sessionId, data] of Object.entries(room.sessions)) {
        sessions.set(sessionId, JSON.parse(key.decryptV1(data.session_data.ephemeral, data.session_data.mac, data.session_data.ciphertext)));
      }
      keys.set(new RoomId(roomId), sessions);
    }
    const result = await this.olm.importBackedUpRoomKeys(keys, () => undefined, version);
    return result.importedCount;
  }

  /** POSTs to the API as this device; throws on anything but 200. */
  async post(path: string, body: unknown): Promise<unknown> {
    const res = await this.t.http.post(path).set(bearer(this.accessToken)).send(body as object);
    if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body;
  }

  close(): void {
    this.olm.close();
  }

  async answer(request: { type: RequestType; body: string } | KeysClaimRequest | ToDeviceRequest | KeysBackupRequest): Promise<unknown> {
    const http = this.t.http;
    const auth = bearer(this.accessToken);
    const body = JSON.parse(request.body) as object;
    const call = async (res: Promise<{ status: number; body: unknown }>, what: string) => {
      const done = await res;
      if (done.status !== 200) throw new Error(`${what} answered ${done.status}: ${JSON.stringify(done.body)}`);
      return done.body;
    };
    switch (request.type) {
      case RequestType.KeysUpload:
        return call(http.post('/api/e2ee/keys/upload').set(auth).send(body), 'keys/upload');
      case RequestType.KeysQuery:
        return call(http.post('/api/e2ee/keys/query').set(auth).send(body), 'keys/query');
      case RequestType.KeysClaim:
        return call(http.post('/api/e2ee/keys/claim').set(auth).send(body), 'keys/claim');
      case RequestType.ToDevice: {
        const toDevice = request as ToDeviceRequest;
        const path = `/api/e2ee/sendToDevice/${encodeURIComponent(toDevice.event_type)}/${encodeURIComponent(toDevice.txn_id)}`;
        return call(http.put(path).set(auth).send(body), 'sendToDevice');
      }
      case RequestType.SignatureUpload:
        return call(http.post('/api/e2ee/keys/signatures/upload').set(auth).send(body), 'keys/signatures/upload');
      case RequestType.KeysBackup:
        return call(http.put('/api/e2ee/room_keys/keys').query({ version: (request as KeysBackupRequest).version }).set(auth).send(body), 'room_keys/keys');
      default:
        throw new Error(`the test device does not send requests of type ${RequestType[request.type]}`);
    }
  }
}
