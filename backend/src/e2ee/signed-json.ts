import { createPublicKey, verify } from 'node:crypto';
import { canonicalJson } from './key-shapes.js';

/** Unpadded base64 of a 32-byte ed25519 key, and of a 64-byte signature. */
export const ED25519_KEY = /^[A-Za-z0-9+/]{43}$/;
export const ED25519_SIGNATURE = /^[A-Za-z0-9+/]{86}$/;

/** The object Matrix signs: everything but `signatures` and `unsigned`, as canonical JSON. */
export function signedBytes(object: Record<string, unknown>): Buffer {
  const { signatures: _signatures, unsigned: _unsigned, ...signed } = object;
  return Buffer.from(canonicalJson(signed));
}

/** Whether `signature` is `publicKey`'s ed25519 signature of `object` (both unpadded base64). */
export function verifyEd25519(object: Record<string, unknown>, publicKey: string, signature: string): boolean {
  if (!ED25519_KEY.test(publicKey) || !ED25519_SIGNATURE.test(signature)) return false;
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey, 'base64').toString('base64url') }, format: 'jwk' });
  return verify(null, signedBytes(object), key, Buffer.from(signature, 'base64'));
}
