import { deviceKeysNotOwn, invalidKeys } from './errors.js';

/** Unpadded base64 of a 32-byte curve25519 or ed25519 key, as vodozemac writes it. */
const KEY = /^[A-Za-z0-9+/]{43}$/;
/** Unpadded base64 of a 64-byte ed25519 signature. */
const SIGNATURE = /^[A-Za-z0-9+/]{86}$/;
const SIGNED_KEY_ID = /^signed_curve25519:[A-Za-z0-9+/=_-]{1,64}$/;
const ALGORITHM = /^[a-z0-9._-]{1,64}$/;

export interface StoredDeviceKeys {
  user_id: string;
  device_id: string;
  algorithms: string[];
  keys: Record<string, string>;
  signatures: Record<string, Record<string, string>>;
}

export interface StoredSignedKey {
  key: string;
  fallback?: true;
  signatures: Record<string, Record<string, string>>;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** `{ [userId]: { "ed25519:<device>": signature } }` holding the device's own signature, and nothing else. */
function checkSignatures(value: unknown, userId: string, deviceId: string, what: string): Record<string, Record<string, string>> {
  if (!isPlainObject(value) || Object.keys(value).length !== 1 || !isPlainObject(value[userId])) {
    throw invalidKeys(`${what}: signatures must hold exactly the signature of ${userId}`);
  }
  const own = value[userId];
  const keyId = `ed25519:${deviceId}`;
  if (Object.keys(own).length !== 1 || typeof own[keyId] !== 'string' || !SIGNATURE.test(own[keyId])) {
    throw invalidKeys(`${what}: signatures must hold exactly the ${keyId} signature`);
  }
  return { [userId]: { [keyId]: own[keyId] } };
}

/**
 * Device keys must be the caller's own (user and device), name only the device's curve25519 and
 * ed25519 keys, and carry its self-signature. The server does not verify the signature (clients do,
 * and do not trust it before cross-signing); it checks the shape so nothing else gets stored.
 */
export function checkDeviceKeys(deviceKeys: StoredDeviceKeys, userId: string, deviceId: string): StoredDeviceKeys {
  if (deviceKeys.user_id !== userId || deviceKeys.device_id !== deviceId) throw deviceKeysNotOwn();
  if (deviceKeys.algorithms.length === 0 || !deviceKeys.algorithms.every((a) => ALGORITHM.test(a))) {
    throw invalidKeys('device_keys: algorithms must be a non-empty list of algorithm names');
  }
  const keys = deviceKeys.keys as Record<string, unknown>;
  const expected = [`curve25519:${deviceId}`, `ed25519:${deviceId}`];
  if (!isPlainObject(keys) || Object.keys(keys).length !== 2 || !expected.every((id) => typeof keys[id] === 'string' && KEY.test(keys[id]))) {
    throw invalidKeys(`device_keys: keys must be exactly ${expected.join(' and ')}, unpadded base64`);
  }
  return {
    user_id: userId,
    device_id: deviceId,
    algorithms: [...deviceKeys.algorithms],
    keys: { [expected[0]]: keys[expected[0]] as string, [expected[1]]: keys[expected[1]] as string },
    signatures: checkSignatures(deviceKeys.signatures, userId, deviceId, 'device_keys'),
  };
}

/** `{ "signed_curve25519:<id>": { key, signatures, fallback? } }`, each signed by the device. */
export function checkSignedKeys(map: Record<string, unknown>, userId: string, deviceId: string, what: string): [string, StoredSignedKey][] {
  return Object.entries(map).map(([keyId, value]) => {
    if (!SIGNED_KEY_ID.test(keyId)) throw invalidKeys(`${what}: key ids are signed_curve25519:<id>`);
    if (!isPlainObject(value) || typeof value.key !== 'string' || !KEY.test(value.key)) {
      throw invalidKeys(`${what}: ${keyId} needs a key in unpadded base64`);
    }
    const extra = Object.keys(value).filter((field) => !['key', 'signatures', 'fallback'].includes(field));
    if (extra.length > 0 || (value.fallback !== undefined && typeof value.fallback !== 'boolean')) {
      throw invalidKeys(`${what}: ${keyId} holds only key, signatures and fallback`);
    }
    const stored: StoredSignedKey = { key: value.key, signatures: checkSignatures(value.signatures, userId, deviceId, `${what} ${keyId}`) };
    if (value.fallback === true) stored.fallback = true;
    return [keyId, stored];
  });
}

/** JSON with object keys sorted, to compare two uploads of the same keys whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isPlainObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether any string or key in `value` holds half a surrogate pair, which PostgreSQL's jsonb refuses. */
export function hasLoneSurrogate(value: unknown): boolean {
  if (typeof value === 'string') return LONE_SURROGATE.test(value);
  if (Array.isArray(value)) return value.some(hasLoneSurrogate);
  if (isPlainObject(value)) return Object.entries(value).some(([key, item]) => LONE_SURROGATE.test(key) || hasLoneSurrogate(item));
  return false;
}

export { isPlainObject };
