import type { CrossSigningUsage } from './e2ee-cross-signing-key.entity.js';
import { invalidCrossSigningKey, invalidSignature } from './errors.js';
import { canonicalJson, isPlainObject } from './key-shapes.js';
import { ED25519_KEY, ED25519_SIGNATURE, verifyEd25519 } from './signed-json.js';

export interface StoredCrossSigningKey {
  user_id: string;
  usage: CrossSigningUsage[];
  keys: Record<string, string>;
  signatures?: Record<string, Record<string, string>>;
}

/** The public key of a cross-signing key (its one `ed25519:<pub>` entry). */
export const publicKeyOf = (key: StoredCrossSigningKey): string => Object.values(key.keys)[0];

/** The same key whatever signatures it carries. */
export const sameKey = (a: object, b: object): boolean => {
  const strip = ({ signatures: _s, unsigned: _u, ...rest }: Record<string, unknown>) => canonicalJson(rest);
  return strip(a as Record<string, unknown>) === strip(b as Record<string, unknown>);
};

/**
 * A cross-signing key of the caller for one usage: `{ user_id, usage: [usage], keys: { "ed25519:<pub>": <pub> } }`
 * with only signatures by `signers` (key id → public key of the caller's keys), each valid.
 */
export function checkCrossSigningKey(value: unknown, userId: string, usage: CrossSigningUsage, signers: Map<string, string>): StoredCrossSigningKey {
  if (!isPlainObject(value)) throw invalidCrossSigningKey(`${usage}: a cross-signing key is a JSON object`);
  const extra = Object.keys(value).filter((field) => !['user_id', 'usage', 'keys', 'signatures'].includes(field));
  if (extra.length > 0) throw invalidCrossSigningKey(`${usage}: holds only user_id, usage, keys and signatures`);
  if (value.user_id !== userId) throw invalidCrossSigningKey(`${usage}: user_id must be ${userId}`);
  if (!Array.isArray(value.usage) || value.usage.length !== 1 || value.usage[0] !== usage) throw invalidCrossSigningKey(`${usage}: usage must be ["${usage}"]`);
  const keys = value.keys;
  const entries = isPlainObject(keys) ? Object.entries(keys) : [];
  if (entries.length !== 1 || typeof entries[0][1] !== 'string' || !ED25519_KEY.test(entries[0][1]) || entries[0][0] !== `ed25519:${entries[0][1]}`) {
    throw invalidCrossSigningKey(`${usage}: keys must be exactly { "ed25519:<key>": <key> }, unpadded base64`);
  }
  const key: StoredCrossSigningKey = { user_id: userId, usage: [usage], keys: { [entries[0][0]]: entries[0][1] } };
  const signatures = checkSignatures(value, userId, signers, usage);
  if (Object.keys(signatures).length > 0) key.signatures = { [userId]: signatures };
  return key;
}

/**
 * The signatures of `userId` on `object`: each by a key of `signers` and valid for the object. Any
 * other signer or signature is refused, so nothing unverified is stored.
 */
export function checkSignatures(object: Record<string, unknown>, userId: string, signers: Map<string, string>, what: string): Record<string, string> {
  const signatures = object.signatures;
  if (signatures === undefined) return {};
  if (!isPlainObject(signatures) || Object.keys(signatures).some((signer) => signer !== userId)) {
    throw invalidSignature(`${what}: signatures may only be by ${userId}`);
  }
  const own = signatures[userId];
  if (own === undefined) return {};
  if (!isPlainObject(own)) throw invalidSignature(`${what}: signatures of ${userId} map key ids to signatures`);
  const out: Record<string, string> = {};
  for (const [keyId, signature] of Object.entries(own)) {
    const publicKey = signers.get(keyId);
    if (!publicKey) throw invalidSignature(`${what}: ${keyId} is not a key that may sign this`);
    if (typeof signature !== 'string' || !ED25519_SIGNATURE.test(signature) || !verifyEd25519(object, publicKey, signature)) {
      throw invalidSignature(`${what}: the ${keyId} signature does not verify`);
    }
    out[keyId] = signature;
  }
  return out;
}
