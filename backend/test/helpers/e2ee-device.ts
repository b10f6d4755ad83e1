// The persistent store (IndexedDB) as a browser has it: each device keeps its keys in a store of its own.
import 'fake-indexeddb/auto';
import { randomBytes } from 'node:crypto';
import {
  CollectStrategy,
  DecryptionErrorCode,
  DecryptionSettings,
  DeviceId,
  DeviceLists,
  EncryptionSettings,
  HistoryVisibility,
  initAsync,
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

  close(): void {
    this.olm.close();
  }

  private async answer(request: { type: RequestType; body: string } | KeysClaimRequest | ToDeviceRequest): Promise<unknown> {
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
      default:
        throw new Error(`the test device does not send requests of type ${RequestType[request.type]}`);
    }
  }
}
