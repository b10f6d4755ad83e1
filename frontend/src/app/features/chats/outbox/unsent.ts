import type { MessageDto } from '../../../../sdk/models/message-dto';
import type { ShownMessage } from '../shown-message';
import type { OutboxEntry } from './outbox-db';

/** The id an unsent message is shown (and decrypted) under until the server gives it one. */
export const unsentId = (clientId: string) => `local-${clientId}`;

/** The outbox entry as a message on screen: pending, or failed with the server's reason. */
export function unsentMessage(entry: OutboxEntry): ShownMessage {
  const message: MessageDto = {
    id: unsentId(entry.clientId),
    clientId: entry.clientId,
    conversationId: entry.conversationId,
    senderId: entry.senderId,
    body: entry.body,
    ciphertext: entry.ciphertext,
    senderDeviceId: null,
    kind: entry.kind,
    relatesTo: entry.relatesTo,
    attachments: [],
    createdAt: entry.createdAt,
    deleted: false,
    editedAt: null,
    expiresAt: null,
    expiresInSeconds: entry.expiresInSeconds,
    expiryMode: entry.expiryMode,
    seq: Number.MAX_SAFE_INTEGER,
  };
  return entry.refusal ? { message, state: 'failed', reason: entry.refusal.reason, refused: true } : { message, state: 'pending' };
}

/**
 * What the history shows: the server's copies in order, then what is still on its way (uploading,
 * sealing, or in the outbox) in the order it was written. Nothing shows twice: not what the server
 * already has, and not a message the outbox has taken while it is still held here (from the outbox's
 * adding it until its write to IndexedDB is done, the held copy, which knows its files, is the one shown).
 */
export function withUnsent(sent: readonly ShownMessage[], local: readonly ShownMessage[], outbox: readonly OutboxEntry[]): ShownMessage[] {
  const known = new Set(sent.map((entry) => entry.message.clientId));
  const held = local.filter((entry) => !known.has(entry.message.clientId));
  for (const entry of held) known.add(entry.message.clientId);
  const unsent = [...held, ...outbox.filter((entry) => !known.has(entry.clientId)).map(unsentMessage)];
  if (unsent.length === 0) return sent as ShownMessage[];
  unsent.sort((a, b) => a.message.createdAt.localeCompare(b.message.createdAt));
  return [...sent, ...unsent];
}
