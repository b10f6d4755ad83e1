// Real Olm and Megolm traffic for the encrypted send scenario, made before its timed window by two real
// OlmMachines in this process, against the bench's own server, the way the web client drives them.
import {
  CollectStrategy,
  DecryptionSettings,
  DeviceId,
  DeviceLists,
  EncryptionSettings,
  HistoryVisibility,
  initAsync,
  OlmMachine,
  RequestType,
  RoomId,
  TrustRequirement,
  UserId,
} from '@matrix-org/matrix-sdk-crypto-wasm';
import { apiOk } from '../../../scripts/lib/api.mjs';

const WORDS = (
  'the a to and of you it is in that for on this we so be at not with are have but just can if my ' +
  'was all do your me up what about when get out like there now time will here they one no know see ' +
  'tomorrow tonight later morning weekend dinner train ticket photo meeting coffee message thanks okay ' +
  'maybe really great sorry sure back home work late call lunch office bring remember think yesterday'
).split(' ');

/** Chat lines of 100–300 characters, deterministic so runs compare. */
export function chatLines(count) {
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  return Array.from({ length: count }, () => {
    const length = 100 + Math.floor(random() * 201);
    let line = '';
    while (line.length < length) line += `${line ? ' ' : ''}${WORDS[Math.floor(random() * WORDS.length)]}`;
    return `${line.slice(0, length - 1)}.`;
  });
}

/** One signed-in device: an OlmMachine (in memory) whose requests go to the API with the device's token. */
class BenchDevice {
  since = undefined;

  static async create(base, token) {
    const me = await apiOk(base, 'GET', '/api/e2ee/whoami', { token });
    const device = new BenchDevice();
    Object.assign(device, { base, token, userId: me.user_id, deviceId: me.device_id });
    device.olm = await OlmMachine.initialize(new UserId(me.user_id), new DeviceId(me.device_id));
    await device.olm.updateTrackedUsers([new UserId(me.user_id)]);
    await device.flush();
    return device;
  }

  async flush() {
    for (let round = 0; round < 10; round++) {
      const requests = await this.olm.outgoingRequests();
      if (requests.length === 0) return;
      for (const request of requests) await this.send(request);
    }
  }

  async sync() {
    for (;;) {
      const query = this.since ? `?since=${encodeURIComponent(this.since)}` : '';
      const body = await apiOk(this.base, 'GET', `/api/e2ee/sync${query}`, { token: this.token });
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

  /**
   * Makes sure every device of `members` has the room's current Megolm key (as the client does before
   * each encrypt); answers the to-device payloads that carried it, as sent.
   */
  async share(roomId, members) {
    await this.sync();
    // The library consumes the UserId objects of an array: a fresh array for every call.
    const users = () => members.map((id) => new UserId(id));
    await this.olm.updateTrackedUsers(users());
    await this.flush();
    const claim = await this.olm.getMissingSessions(users());
    if (claim) await this.send(claim);
    const settings = new EncryptionSettings();
    settings.historyVisibility = HistoryVisibility.Joined;
    settings.sharingStrategy = CollectStrategy.allDevices();
    const sent = [];
    for (const request of await this.olm.shareRoomKey(new RoomId(roomId), users(), settings)) {
      await this.send(request);
      sent.push(JSON.parse(request.body));
    }
    return sent;
  }

  async encrypt(roomId, body) {
    const content = await this.olm.encryptRoomEvent(new RoomId(roomId), 'm.room.message', JSON.stringify({ type: 'text', body }));
    return JSON.parse(content);
  }

  async decrypt(roomId, content, sender) {
    const event = { type: 'm.room.encrypted', event_id: '$check', sender, origin_server_ts: Date.now(), room_id: roomId, content };
    const decrypted = await this.olm.decryptRoomEvent(JSON.stringify(event), new RoomId(roomId), new DecryptionSettings(TrustRequirement.Untrusted));
    return JSON.parse(decrypted.event).content.body;
  }

  async send(request) {
    const body = JSON.parse(request.body);
    const route = {
      [RequestType.KeysUpload]: ['POST', '/api/e2ee/keys/upload'],
      [RequestType.KeysQuery]: ['POST', '/api/e2ee/keys/query'],
      [RequestType.KeysClaim]: ['POST', '/api/e2ee/keys/claim'],
      [RequestType.ToDevice]: ['PUT', `/api/e2ee/sendToDevice/${encodeURIComponent(request.event_type)}/${encodeURIComponent(request.txn_id)}`],
    }[request.type];
    if (!route) throw new Error(`the bench device does not send requests of type ${RequestType[request.type]}`);
    const answer = await apiOk(this.base, route[0], route[1], { token: this.token, body });
    await this.olm.markRequestAsSent(request.id, request.type, JSON.stringify(answer));
  }

  close() {
    this.olm.close();
  }
}

/**
 * Two devices of two friends with an encrypted conversation exchange room keys, then encrypt
 * `messages` distinct chat lines and rotate the Megolm session `keyShares` times (half each way).
 * Answers the Megolm contents and the Olm-encrypted key-share payloads (each as one device's entry of
 * a sendToDevice body), for the load to replay: the server only checks their shape.
 */
export async function captureEncryptedTraffic({ base, first, second, conversationId, messages, keyShares }) {
  await initAsync();
  const a = await BenchDevice.create(base, first.token);
  const b = await BenchDevice.create(base, second.token);
  try {
    const roomId = `!${conversationId}:iris`;
    const members = [a.userId, b.userId];
    const toDevice = [];
    const shareFrom = async (device, peer) => {
      for (const body of await device.share(roomId, members)) {
        const content = body.messages?.[peer.userId]?.[peer.deviceId];
        if (content) toDevice.push(content);
      }
    };
    await shareFrom(a, b);
    await shareFrom(b, a);
    for (let k = toDevice.length; k < keyShares; k++) {
      const [device, peer] = k % 2 === 0 ? [a, b] : [b, a];
      await device.olm.invalidateGroupSession(new RoomId(roomId));
      await shareFrom(device, peer);
    }
    const lines = chatLines(messages);
    const ciphertexts = [];
    for (const [index, line] of lines.entries()) {
      const device = index % 2 === 0 ? a : b;
      // As the client does before each encrypt (here every 50): a session used 100 times rotates.
      if (index % 100 < 2) await device.share(roomId, members);
      ciphertexts.push(await device.encrypt(roomId, line));
    }
    await a.sync();
    await b.sync();
    // They are real: the peer reads the first and the last.
    for (const index of [0, ciphertexts.length - 1]) {
      const [sender, reader] = index % 2 === 0 ? [a, b] : [b, a];
      if ((await reader.decrypt(roomId, ciphertexts[index], sender.userId)) !== lines[index]) throw new Error('a captured ciphertext does not decrypt');
    }
    // The chat list's page render with encryption: the client decrypts each row's preview. Timed here,
    // where a real OlmMachine holds the keys: 50 previews (the list's page) that b received from a.
    const previews = ciphertexts.filter((_, index) => index % 2 === 0).slice(0, 50);
    const started = performance.now();
    for (const content of previews) await b.decrypt(roomId, content, a.userId);
    const previewDecrypt = { count: previews.length, ms: performance.now() - started };
    return { lines, ciphertexts, toDevice: toDevice.slice(0, keyShares), previewDecrypt };
  } finally {
    a.close();
    b.close();
  }
}
