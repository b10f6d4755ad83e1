/**
 * The message index of a Megolm ciphertext (version byte 3, then protobuf field 1, a varint), or null
 * when it does not read as one (the decryption that succeeded before says it is one).
 */
export function megolmMessageIndex(ciphertext: string): number | null {
  let binary: string;
  try {
    binary = atob(ciphertext.slice(0, 16).replace(/-/g, '+').replace(/_/g, '/'));
  } catch {
    return null;
  }
  if (binary.charCodeAt(0) !== 3 || binary.charCodeAt(1) !== 0x08) return null;
  let index = 0;
  for (let i = 2, shift = 0; i < binary.length && shift < 35; i++, shift += 7) {
    const byte = binary.charCodeAt(i);
    index += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return index;
  }
  return null;
}
