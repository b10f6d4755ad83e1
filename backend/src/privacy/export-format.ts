import { extname } from 'node:path';

/** Written into profile.json; bump it when a file's shape changes incompatibly. */
export const EXPORT_FORMAT = 'iris-export/1';

/** Budget for the uploader's name in an entry name: `<uuid>-` plus this stays under the usual 255-byte limit. */
const MAX_NAME_BYTES = 200;

export const EXPORT_README = `Iris data export (${EXPORT_FORMAT})

Everything this Iris server held about your account when the export was made.
Files are UTF-8 JSON; times are ISO-8601 in UTC; ids are UUIDs.

profile.json
  format, exportedAt
  user: id, username, displayName, avatarVersion, statusMessage, role, createdAt, updatedAt

profile-picture.webp (when you have one)
  Your profile picture as the server stores it: a 256 px square, without metadata.
  sessions: your sign-ins (devices): id, createdAt, lastUsedAt, expiresAt, revokedAt
  passkeys: the passkeys you registered: id, name, createdAt, lastUsedAt, backedUp (not their keys)
  e2eeDevices: the sign-ins that published encryption keys: deviceId (the session id), createdAt.
    Their public keys, one-time keys and undelivered encrypted messages are not included.
  crossSigningKeys: your cross-signing PUBLIC keys (master, self_signing, user_signing) with their
    signatures, as other people's devices see them; the private keys never reach the server.
  keyBackup: your current key backup, or null: version, algorithm, auth_data (its public key),
    count (sessions stored), etag. The sessions themselves are in key-backup.json.
  twoFactor: totpEnabled, setupStartedAt, enabledAt, recoveryCodesLeft. Never the secret or
    the recovery codes (the server keeps only their hashes).
  pushSubscriptions: browsers that get notifications: endpointHost (the push service), createdAt.
    The endpoint's full address and its encryption keys are left out.
  mutedConversations: ids of the conversations you muted.

key-backup.json (only with a key backup)
  version, and sessions: [{ roomId, sessionId, first_message_index, forwarded_count, is_verified,
  session_data: { ephemeral, ciphertext, mac }, encrypted: true }]. ENCRYPTED: session_data opens
  only with your recovery key, which the server never had.

friends.json
  friends: [{ user: { id, username, displayName }, since }]
  friendRequests: { incoming: [...], outgoing: [...] }, each { id, from, to, createdAt }
  blocks: the people you blocked: [{ user, since }]

conversations/<conversationId>.json (one per conversation you are in)
  id, peer ({ id, username, displayName }; null when their account was deleted),
  createdAt, lastActivityAt, defaultExpiresInSeconds, defaultExpiryMode,
  encrypted (true: end-to-end encrypted; messages from before it was turned on stay plaintext),
  lastReadSeq (the newest message you have read), muted (you muted it),
  notices: the changes of its settings, oldest first: { id, conversationId, actorId (who
    changed it; null once their account was deleted), type ("timer": the default disappearing
    timer became expiresInSeconds/expiryMode, null seconds = off; "encryption": end-to-end
    encryption was turned on), expiresInSeconds, expiryMode, afterSeq (the newest message then),
    createdAt },
  messages: every message you could still see, oldest first, from both sides:
    { id, conversationId, seq, senderId, clientId, body, ciphertext, encrypted, senderDeviceId,
      kind, relatesTo, attachments, createdAt, editedAt, deleted, expiresInSeconds, expiryMode,
      expiresAt }
  A deleted message has deleted: true and neither body, ciphertext nor attachments. Disappearing
  messages whose time was up are not included. "attachments" describes files; the files
  themselves are in attachments/ when you uploaded them. kind is "message" or "reaction";
  relatesTo is the id of the message a reaction or reply points at.

  ENCRYPTED MESSAGES (encrypted: true) hold only "ciphertext": the Megolm-encrypted content
  ({ algorithm, ciphertext, session_id, ... }). The server never had the keys, so it cannot
  decrypt them, and neither can this export: only your devices can. To keep readable copies,
  use "Export my conversations" in the web client, which decrypts on your device.

attachments/<attachmentId>-<name>
  The files you uploaded, sent or not yet sent, as the server stores them (images without
  their metadata). Files the other side sent are theirs and are not included.
  Files of kind "encrypted" (named <attachmentId>-encrypted.bin) are encrypted blobs: their key,
  real name and type are inside the encrypted message that carried them, readable only on
  your devices.
`;

/** `iris-export-alice-2030-01-31.zip` (the date in UTC). */
export function exportFileName(username: string, at: Date): string {
  return `iris-export-${username}-${at.toISOString().slice(0, 10)}.zip`;
}

/**
 * The zip entry of an uploaded file: `attachments/<id>-<name>`. The stored name is sanitised already;
 * this also keeps it one path segment that unzip tools on every system accept, and short enough in bytes.
 */
export function attachmentEntryName(id: string, name: string): string {
  return `attachments/${id}-${zipSafeName(name)}`;
}

export function zipSafeName(name: string): string {
  const cleaned = name
    .normalize('NFC')
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, '')
    // Path separators, and what Windows refuses in a file name.
    .replace(/[/\\:*?"<>|]/g, '_')
    .replace(/\s+/g, ' ')
    .replace(/^[\s.]+|[\s.]+$/g, '');
  if (!cleaned) return 'file';
  if (Buffer.byteLength(cleaned) <= MAX_NAME_BYTES) return cleaned;
  const extension = extname(cleaned);
  const keep = extension.length > 1 && Buffer.byteLength(extension) <= 16 ? extension : '';
  return truncateToBytes(cleaned.slice(0, cleaned.length - keep.length), MAX_NAME_BYTES - Buffer.byteLength(keep)) + keep;
}

/** Whole characters (never half of a surrogate pair) up to `maxBytes` of UTF-8. */
function truncateToBytes(text: string, maxBytes: number): string {
  let bytes = 0;
  let end = 0;
  for (const character of text) {
    bytes += Buffer.byteLength(character);
    if (bytes > maxBytes) break;
    end += character.length;
  }
  return text.slice(0, end);
}

/**
 * `{ ...head, [key]: [...items] }` as indented JSON, written piece by piece so the items never sit in
 * memory together. Parses to what JSON.stringify of the whole object gives; `key` must not be in `head`.
 */
export async function* jsonDocument(head: object, key: string, items: AsyncIterable<unknown>): AsyncGenerator<string> {
  const opening = JSON.stringify(head, null, 2);
  yield opening === '{}' ? '{\n' : `${opening.slice(0, -2)},\n`;
  yield `  ${JSON.stringify(key)}: [`;
  let first = true;
  for await (const item of items) {
    // Newlines inside strings are escaped, so every newline here is indentation.
    yield `${first ? '' : ','}\n    ${JSON.stringify(item, null, 2).replace(/\n/g, '\n    ')}`;
    first = false;
  }
  yield first ? ']\n}\n' : '\n  ]\n}\n';
}
