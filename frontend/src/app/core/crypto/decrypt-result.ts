import type { CryptoWasm } from './crypto-wasm';
import type { MessageContent } from './message-content';

/* What decrypting a message can come to: the result types, and the words for one that cannot be read. */

/** An encrypted message as the API answers it (the fields decryption needs). */
export interface EncryptedMessage {
  id: string;
  conversationId: string;
  senderId: string;
  senderDeviceId?: string | null;
  /** The clientId the server files it under; the content's own must match. */
  clientId?: string;
  createdAt: string;
  /** The `m.room.encrypted` content `encrypt` produced on the sender's device. */
  ciphertext: unknown;
}

export type UndecryptableReason = 'no-key' | 'unverified-sender' | 'untrusted-device' | 'replayed' | 'malformed' | 'invalid-content' | 'failed';

export type DecryptResult =
  | { kind: 'ok'; content: MessageContent; senderDeviceId: string | null }
  | { kind: 'undecryptable'; reason: UndecryptableReason; message: string };

/** Words a UI can show in place of a message this device cannot read (never a blank). */
export const UNDECRYPTABLE_MESSAGES: Record<UndecryptableReason, string> = {
  'no-key': 'Sent before this device signed in',
  'unverified-sender': "Can't confirm who sent this message",
  'untrusted-device': "Sent from a device that isn't verified",
  replayed: 'A copy of another message, not shown',
  malformed: 'This message is damaged and can\u2019t be shown',
  'invalid-content': 'This message isn\u2019t supported by this version of Iris',
  failed: 'This message couldn\u2019t be decrypted',
};

export function undecryptable(reason: UndecryptableReason): DecryptResult {
  return { kind: 'undecryptable', reason, message: UNDECRYPTABLE_MESSAGES[reason] };
}

/** Why the library refused to decrypt, in the words a UI can show. */
export function undecryptableReason(wasm: CryptoWasm, error: unknown): UndecryptableReason {
  const code = isObject(error) ? error['code'] : undefined;
  const codes = wasm.DecryptionErrorCode;
  switch (code) {
    case codes.MissingRoomKey:
    case codes.UnknownMessageIndex:
      return 'no-key';
    case codes.MismatchedIdentityKeys:
    case codes.UnknownSenderDevice:
    case codes.MismatchedSender:
      return 'unverified-sender';
    case codes.UnsignedSenderDevice:
    case codes.SenderIdentityVerificationViolation:
      return 'untrusted-device';
    case codes.UnableToDecrypt:
      return 'failed';
    default:
      // Not a Megolm error: the event itself did not parse.
      return 'malformed';
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
