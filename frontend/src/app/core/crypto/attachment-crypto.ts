import type { AttachmentKey, EncryptedFile } from './message-content';

/**
 * Matrix "v2" attachment encryption with WebCrypto: a fresh AES-256-CTR key per file, a 16-byte
 * counter block whose low 8 bytes start at zero (so the counter never wraps into the random half),
 * and the SHA-256 of the ciphertext, checked before anything is decrypted. Pure functions: the worker
 * runs them, and so does the main thread when there is no worker.
 */
export interface EncryptedFileResult {
  ciphertext: Uint8Array<ArrayBuffer>;
  info: EncryptedFile;
}

export class AttachmentIntegrityError extends Error {
  constructor() {
    super('The file does not match its hash: it was changed or damaged after it was sent');
    this.name = 'AttachmentIntegrityError';
  }
}

export async function encryptFile(plaintext: Uint8Array | ArrayBuffer): Promise<EncryptedFileResult> {
  const subtle = requireSubtle();
  const key = await subtle.generateKey({ name: 'AES-CTR', length: 256 }, true, ['encrypt', 'decrypt']);
  const iv = new Uint8Array(16);
  crypto.getRandomValues(iv.subarray(0, 8));
  const ciphertext = new Uint8Array(await subtle.encrypt({ name: 'AES-CTR', counter: iv, length: 64 }, key, toBufferSource(plaintext)));
  const sha256 = new Uint8Array(await subtle.digest('SHA-256', ciphertext));
  const jwk = await subtle.exportKey('jwk', key);
  return {
    ciphertext,
    info: {
      key: { kty: 'oct', alg: 'A256CTR', ext: true, k: jwk.k!, key_ops: ['encrypt', 'decrypt'] },
      iv: toBase64(iv),
      hashes: { sha256: toBase64(sha256) },
      v: 'v2',
    },
  };
}

/** Checks the ciphertext's hash, then decrypts; a mismatch throws `AttachmentIntegrityError`. */
export async function decryptFile(ciphertext: Uint8Array | ArrayBuffer, info: EncryptedFile): Promise<Uint8Array<ArrayBuffer>> {
  const subtle = requireSubtle();
  if (info.v !== 'v2' || info.key.alg !== 'A256CTR' || info.key.kty !== 'oct') throw new Error('Unsupported attachment encryption');
  const data = toBufferSource(ciphertext);
  const actual = toBase64(new Uint8Array(await subtle.digest('SHA-256', data)));
  if (!constantTimeEqual(actual, info.hashes.sha256.replace(/=+$/, ''))) throw new AttachmentIntegrityError();
  const iv = fromBase64(info.iv);
  if (iv.length !== 16) throw new Error('The attachment counter must be 16 bytes');
  const key = await subtle.importKey('jwk', jwkOf(info.key), { name: 'AES-CTR' }, false, ['decrypt']);
  return new Uint8Array(await subtle.decrypt({ name: 'AES-CTR', counter: iv, length: 64 }, key, data));
}

/** Unpadded standard base64, as Matrix writes ivs and hashes. */
export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary).replace(/=+$/, '');
}

export function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const normalized = text.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(normalized + '='.repeat((4 - (normalized.length % 4)) % 4));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function jwkOf(key: AttachmentKey): JsonWebKey {
  return { kty: key.kty, alg: key.alg, ext: true, k: key.k, key_ops: ['encrypt', 'decrypt'] };
}

function toBufferSource(bytes: Uint8Array | ArrayBuffer): Uint8Array<ArrayBuffer> {
  if (bytes instanceof ArrayBuffer) return new Uint8Array(bytes);
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** WebCrypto's subtle half exists only in secure contexts (https, or http on localhost). */
function requireSubtle(): SubtleCrypto {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new Error('Encrypted files need a secure connection (https)');
  return subtle;
}
