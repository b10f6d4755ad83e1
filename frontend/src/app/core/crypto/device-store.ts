/**
 * What the browser keeps for a device's crypto, outside the library: the store's name and passphrase,
 * the sync position, the per-device Web Lock that keeps two tabs off one store, and their deletion.
 */
export type CryptoStoreErrorCode = 'E2EE_STORE_LOST' | 'E2EE_STORE_UNREADABLE' | 'E2EE_IN_USE';

/**
 * The device's keys are gone or cannot be opened (site data cleared, another browser profile): this
 * sign-in cannot read or send encrypted messages any more, and signing in again makes a new device.
 */
export class CryptoStoreError extends Error {
  constructor(
    readonly code: CryptoStoreErrorCode,
    cause?: unknown,
  ) {
    super(STORE_ERROR_MESSAGES[code], { cause });
    this.name = 'CryptoStoreError';
  }
}

const STORE_ERROR_MESSAGES: Record<CryptoStoreErrorCode, string> = {
  E2EE_STORE_LOST: "This browser no longer has this device's encryption keys. Sign in again.",
  E2EE_STORE_UNREADABLE: "This device's encryption keys cannot be opened. Sign in again.",
  E2EE_IN_USE: 'Iris is open in another tab of this browser. Use that tab, or close it and reload this one.',
};

/** What the browser keeps for a device: only the store passphrase and the sync position. */
export type KeyValueStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

/** The stores matrix-sdk-crypto-wasm opens for a store name. */
const STORE_SUFFIXES = ['::matrix-sdk-crypto', '::matrix-sdk-crypto-meta'];

/** This device's trust notices (trust-notices-db.ts), deleted with its keys. */
export function trustNoticesStoreName(deviceId: string): string {
  return `iris-trust-notices-${deviceId}`;
}

export function cryptoStoreName(deviceId: string): string {
  return `iris-crypto-${deviceId}`;
}

export const passphraseKey = (deviceId: string) => `iris.e2ee.${deviceId}.passphrase`;
export const sinceKey = (deviceId: string) => `iris.e2ee.${deviceId}.since`;

/**
 * The random passphrase this device's store is encrypted with. A store without its passphrase can
 * never be opened again, and a new store under the same device id would need new device keys, which
 * the server refuses: both mean the device is lost.
 */
export async function storePassphrase(storage: KeyValueStorage, idb: IDBFactory | undefined, deviceId: string): Promise<string> {
  const existing = storage.getItem(passphraseKey(deviceId));
  if (existing) return existing;
  const names = idb?.databases ? (await idb.databases()).map((database) => database.name) : [];
  if (names.includes(cryptoStoreName(deviceId) + STORE_SUFFIXES[0])) throw new CryptoStoreError('E2EE_STORE_LOST');
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const passphrase = btoa(String.fromCharCode(...bytes));
  storage.setItem(passphraseKey(deviceId), passphrase);
  return passphrase;
}

/**
 * Deletes the keys other devices left in this browser: a session that ended while no tab was open
 * (revoked elsewhere, expired) never got to delete its store. Tabs of one browser share one sign-in,
 * so any other device is gone; one still open in another tab (holding its lock) is left alone.
 */
export async function forgetOtherDevices(
  currentDeviceId: string,
  options: { storage?: KeyValueStorage & Pick<Storage, 'length' | 'key'>; indexedDB?: IDBFactory; locks?: LockManager | null } = {},
): Promise<string[]> {
  const storage = options.storage ?? localStorage;
  const idb = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  const locks = options.locks === undefined ? defaultLocks() : options.locks;
  const others = new Set<string>();
  for (let i = 0; i < storage.length; i++) {
    const device = /^iris\.e2ee\.(.+)\.(?:passphrase|since)$/.exec(storage.key(i) ?? '')?.[1];
    if (device && device !== currentDeviceId) others.add(device);
  }
  for (const prefix of [cryptoStoreName(''), trustNoticesStoreName('')]) {
    for (const { name } of idb?.databases ? await idb.databases() : []) {
      const device = name?.startsWith(prefix) ? name.slice(prefix.length).split('::')[0] : undefined;
      if (device && device !== currentDeviceId) others.add(device);
    }
  }
  const forgotten: string[] = [];
  for (const device of others) {
    const release = await holdDevice(locks, device);
    if (!release) continue;
    try {
      await deleteDeviceStore(device, storage, idb);
      forgotten.push(device);
    } finally {
      release();
    }
  }
  return forgotten;
}

export function defaultLocks(): LockManager | null {
  return typeof navigator === 'undefined' ? null : (navigator.locks ?? null);
}

/** Holds the device's lock until the returned function is called; null when another tab holds it. */
export function holdDevice(locks: LockManager | null, deviceId: string): Promise<(() => void) | null> {
  if (!locks) return Promise.resolve(() => undefined);
  return new Promise((resolve, reject) => {
    locks
      .request(`iris-e2ee-${deviceId}`, { ifAvailable: true }, (lock) => {
        if (!lock) {
          resolve(null);
          return undefined;
        }
        return new Promise<void>((release) => resolve(() => release()));
      })
      .catch(reject);
  });
}

/**
 * Resolves once the database is gone, or once its deletion is queued behind a connection still open
 * (the browser deletes it when that closes): sign-out must never hang on it.
 */
export function deleteDatabase(idb: IDBFactory, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = idb.deleteDatabase(name);
    request.onsuccess = () => resolve();
    request.onblocked = () => resolve();
    request.onerror = () => reject(request.error);
  });
}

/** Deletes what the browser keeps for a device: its IndexedDB databases, store passphrase and sync position. */
export async function deleteDeviceStore(deviceId: string, storage: KeyValueStorage, idb: IDBFactory | undefined): Promise<void> {
  storage.removeItem(passphraseKey(deviceId));
  storage.removeItem(sinceKey(deviceId));
  if (!idb) return;
  await Promise.all([...STORE_SUFFIXES.map((suffix) => deleteDatabase(idb, cryptoStoreName(deviceId) + suffix)), deleteDatabase(idb, trustNoticesStoreName(deviceId))]);
}
