import type { E2eeSyncResponse, E2eeTransport, MatrixJson } from './e2ee-transport';
import { matrixUserId } from './e2ee-transport';

type Json = Record<string, any>;

/**
 * The server's E2EE API in memory, for specs: device keys (immutable per device), one-time keys
 * consumed on claim with the fallback key after them, to-device queues acknowledged by `since`, and
 * device-list changes told to every device of the users who share a conversation. `transport(user,
 * device)` is what one signed-in device sees; `removeDevice` is a sign-out or revocation.
 */
export class InMemoryE2eeServer {
  readonly deviceKeys = new Map<string, Map<string, Json>>();
  private readonly oneTimeKeys = new Map<string, Map<string, Json>>();
  private readonly fallbackKeys = new Map<string, Json>();
  private readonly inboxes = new Map<string, { seq: number; event: Json }[]>();
  private readonly changed = new Map<string, Set<string>>();
  private readonly contacts = new Map<string, Set<string>>();
  /** `@user` → `master` / `self_signing` / `user_signing` → the public key object. */
  private readonly crossSigning = new Map<string, Map<string, Json>>();
  private seq = 0;
  /** Every request a device made, in order, as `device: route` (for asserting on traffic). */
  readonly log: string[] = [];
  /** Every user's password, for an identity reset. */
  password = 'correct horse battery';
  /** Largest number of to-device events one sync answers (more → `limited`). */
  syncLimit = 100;

  /** The two users share a conversation: each may query the other's keys and hears of their changes. */
  connect(userA: string, userB: string): void {
    const [matrixA, matrixB] = [matrixUserId(userA), matrixUserId(userB)];
    for (const [a, b] of [[matrixA, matrixB], [matrixB, matrixA]]) {
      if (!this.contacts.has(a)) this.contacts.set(a, new Set());
      this.contacts.get(a)!.add(b);
    }
  }

  transport(userId: string, deviceId: string): E2eeTransport {
    const user = matrixUserId(userId);
    const me = `${user}|${deviceId}`;
    const logged = <T>(route: string, work: () => T): Promise<T> => {
      this.log.push(`${deviceId}: ${route}`);
      return Promise.resolve().then(work);
    };
    return {
      whoami: () => logged('whoami', () => ({ user_id: user, device_id: deviceId })),
      keysUpload: (body) => logged('keys/upload', () => this.upload(user, deviceId, body)),
      keysQuery: (body) => logged('keys/query', () => this.query(user, body)),
      keysClaim: (body) => logged('keys/claim', () => this.claim(body)),
      sendToDevice: (eventType, _txnId, body) => logged(`sendToDevice/${eventType}`, () => this.toDevice(user, eventType, body)),
      sync: (since) => logged('sync', () => this.sync(me, since)),
      signingKeysUpload: (body) => logged('keys/device_signing/upload', () => this.uploadSigningKeys(user, body)),
      signaturesUpload: (body) => logged('keys/signatures/upload', () => this.uploadSignatures(user, body)),
    };
  }

  removeDevice(userId: string, deviceId: string): void {
    const user = matrixUserId(userId);
    this.devices(user).delete(deviceId);
    this.oneTimeKeys.delete(`${user}|${deviceId}`);
    this.fallbackKeys.delete(`${user}|${deviceId}`);
    this.inboxes.delete(`${user}|${deviceId}`);
    this.notifyDeviceChange(user);
  }

  private upload(user: string, device: string, body: Json): MatrixJson {
    const me = `${user}|${device}`;
    if (body['device_keys']) {
      const existing = this.devices(user).get(device);
      if (existing && JSON.stringify(existing['keys']) !== JSON.stringify(body['device_keys']['keys'])) {
        throw Object.assign(new Error('409 device keys are immutable'), { status: 409 });
      }
      this.devices(user).set(device, body['device_keys']);
      this.notifyDeviceChange(user);
    }
    const keys = this.oneTimeKeys.get(me) ?? new Map<string, Json>();
    for (const [id, key] of Object.entries(body['one_time_keys'] ?? {})) keys.set(id, key as Json);
    this.oneTimeKeys.set(me, keys);
    if (body['fallback_keys']) this.fallbackKeys.set(me, body['fallback_keys']);
    return { one_time_key_counts: { signed_curve25519: keys.size } };
  }

  private query(caller: string, body: Json): MatrixJson {
    const deviceKeys: Json = {};
    for (const user of Object.keys(body['device_keys'] ?? {})) {
      // Anyone the caller shares nothing with looks like a user without devices.
      deviceKeys[user] = user === caller || this.contacts.get(caller)?.has(user) ? Object.fromEntries(this.devices(user)) : {};
    }
    const identities = (usage: string, who: (user: string) => boolean) =>
      Object.fromEntries(Object.keys(deviceKeys).filter(who).flatMap((user) => (this.crossSigning.get(user)?.get(usage) ? [[user, this.crossSigning.get(user)!.get(usage)]] : [])));
    const visible = (user: string) => user === caller || (this.contacts.get(caller)?.has(user) ?? false);
    return {
      device_keys: deviceKeys,
      failures: {},
      master_keys: identities('master', visible),
      self_signing_keys: identities('self_signing', visible),
      user_signing_keys: identities('user_signing', (user) => user === caller),
    };
  }

  /** Cross-signing keys as uploaded (the real server checks their signatures; specs trust their own machines). */
  private uploadSigningKeys(user: string, body: Json): MatrixJson {
    const keys = this.crossSigning.get(user) ?? new Map<string, Json>();
    // As the server: a password given is checked; replacing a published master key needs one.
    if (body['auth'] && body['auth'].password !== this.password) throw new Error('WRONG_PASSWORD');
    const replaces = keys.has('master') && body['master_key'] && JSON.stringify(keys.get('master')!['keys']) !== JSON.stringify(body['master_key'].keys);
    if (replaces && !body['auth']) throw new Error('PASSWORD_REQUIRED');
    for (const [field, usage] of [['master_key', 'master'], ['self_signing_key', 'self_signing'], ['user_signing_key', 'user_signing']]) {
      if (body[field]) keys.set(usage, structuredClone(body[field]));
    }
    this.crossSigning.set(user, keys);
    this.notifyDeviceChange(user);
    return {};
  }

  /** Merges signatures into the device keys or master key they sign. */
  private uploadSignatures(signer: string, body: Json): MatrixJson {
    for (const [user, objects] of Object.entries(body)) {
      for (const [keyId, signed] of Object.entries(objects as Json)) {
        const master = this.crossSigning.get(user)?.get('master');
        const target = this.devices(user).get(keyId) ?? (master && Object.values(master['keys'])[0] === keyId ? master : undefined);
        if (!target) continue;
        const theirs = (signed as Json)['signatures']?.[signer] ?? {};
        target['signatures'] = { ...target['signatures'], [signer]: { ...target['signatures']?.[signer], ...theirs } };
      }
      this.notifyDeviceChange(user);
    }
    return { failures: {} };
  }

  private claim(body: Json): MatrixJson {
    const claimed: Json = {};
    for (const [user, devices] of Object.entries(body['one_time_keys'] ?? {})) {
      for (const device of Object.keys(devices as Json)) {
        const keys = this.oneTimeKeys.get(`${user}|${device}`);
        const first = keys?.keys().next().value;
        const key = first !== undefined ? { [first]: keys!.get(first) } : this.fallbackKeys.get(`${user}|${device}`);
        if (first !== undefined) keys!.delete(first);
        if (key) (claimed[user] ??= {})[device] = key;
      }
    }
    return { one_time_keys: claimed, failures: {} };
  }

  private toDevice(sender: string, eventType: string, body: Json): MatrixJson {
    for (const [user, devices] of Object.entries(body['messages'] ?? {})) {
      for (const [device, content] of Object.entries(devices as Json)) {
        const targets = device === '*' ? [...this.devices(user).keys()] : [device];
        for (const target of targets) {
          if (!this.devices(user).has(target)) continue;
          this.inbox(`${user}|${target}`).push({ seq: ++this.seq, event: { type: eventType, sender, content } });
        }
      }
    }
    return {};
  }

  private sync(me: string, since: string | null): E2eeSyncResponse {
    const acknowledged = since === null ? 0 : Number(since);
    const inbox = this.inbox(me).filter((entry) => entry.seq > acknowledged);
    this.inboxes.set(me, inbox);
    const batch = inbox.slice(0, this.syncLimit);
    const changed = [...(this.changed.get(me) ?? [])];
    this.changed.delete(me);
    const [user, device] = me.split('|');
    return {
      next_batch: String(batch.at(-1)?.seq ?? acknowledged),
      to_device: { events: batch.map((entry) => entry.event) },
      device_lists: { changed, left: [] },
      device_one_time_keys_count: { signed_curve25519: this.oneTimeKeys.get(`${user}|${device}`)?.size ?? 0 },
      device_unused_fallback_key_types: this.fallbackKeys.has(me) ? ['signed_curve25519'] : [],
      limited: inbox.length > batch.length,
    };
  }

  private notifyDeviceChange(user: string): void {
    const watchers = new Set([user, ...(this.contacts.get(user) ?? [])]);
    for (const watcher of watchers) {
      for (const device of this.devices(watcher).keys()) {
        const key = `${watcher}|${device}`;
        if (!this.changed.has(key)) this.changed.set(key, new Set());
        this.changed.get(key)!.add(user);
      }
    }
  }

  private devices(user: string): Map<string, Json> {
    if (!this.deviceKeys.has(user)) this.deviceKeys.set(user, new Map());
    return this.deviceKeys.get(user)!;
  }

  private inbox(key: string): { seq: number; event: Json }[] {
    if (!this.inboxes.has(key)) this.inboxes.set(key, []);
    return this.inboxes.get(key)!;
  }
}

/** localStorage for specs. */
export class MemoryStorage {
  readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
  get length(): number {
    return this.items.size;
  }
  key(index: number): string | null {
    return [...this.items.keys()][index] ?? null;
  }
}
