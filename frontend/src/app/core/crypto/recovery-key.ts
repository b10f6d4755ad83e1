/**
 * The recovery key as people handle it, in Matrix's format (so it works in other Matrix clients too):
 * 0x8B 0x01, the 32-byte backup key, a parity byte; base58, in groups of four. Decoding forgives
 * spaces and checks the prefix, length and parity, so a typo says so instead of finding nothing.
 */
const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const PREFIX = [0x8b, 0x01];
const KEY_BYTES = 32;

export class RecoveryKeyError extends Error {
  override readonly name = 'RecoveryKeyError';
}

export function encodeRecoveryKey(key: Uint8Array): string {
  const bytes = [...PREFIX, ...key];
  bytes.push(bytes.reduce((parity, byte) => parity ^ byte, 0));
  return base58Encode(Uint8Array.from(bytes)).match(/.{1,4}/g)!.join(' ');
}

export function decodeRecoveryKey(text: string): Uint8Array {
  const compact = text.replace(/\s+/g, '');
  if (compact.length === 0 || [...compact].some((char) => !ALPHABET.includes(char))) throw new RecoveryKeyError('That is not a recovery key: check for typos.');
  const bytes = base58Decode(compact);
  const parity = bytes.reduce((p, byte) => p ^ byte, 0);
  if (bytes.length !== PREFIX.length + KEY_BYTES + 1 || bytes[0] !== PREFIX[0] || bytes[1] !== PREFIX[1] || parity !== 0) {
    throw new RecoveryKeyError('That recovery key is not complete or has a typo.');
  }
  return bytes.slice(PREFIX.length, PREFIX.length + KEY_BYTES);
}

function base58Encode(bytes: Uint8Array): string {
  let value = bytes.reduce((n, byte) => n * 256n + BigInt(byte), 0n);
  let out = '';
  while (value > 0n) {
    out = ALPHABET[Number(value % 58n)] + out;
    value /= 58n;
  }
  for (const byte of bytes) {
    if (byte !== 0) break;
    out = ALPHABET[0] + out;
  }
  return out;
}

function base58Decode(text: string): Uint8Array {
  let value = [...text].reduce((n, char) => n * 58n + BigInt(ALPHABET.indexOf(char)), 0n);
  const out: number[] = [];
  while (value > 0n) {
    out.unshift(Number(value % 256n));
    value /= 256n;
  }
  for (const char of text) {
    if (char !== ALPHABET[0]) break;
    out.unshift(0);
  }
  return Uint8Array.from(out);
}

export const toBase64 = (bytes: Uint8Array): string => btoa(String.fromCharCode(...bytes));
export const fromBase64 = (text: string): Uint8Array => Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
