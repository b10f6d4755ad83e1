import type { MessageDto } from '../../../sdk/models/message-dto';
import { randomUuid } from '../../shared/uuid';
import type { Upload } from './attachments/uploads-store';
import { hasExpired, startReadClock, type TimerSetting } from './expiry';

/** A message as shown: a server copy, or an optimistic one still on its way (or failed). */
export interface ShownMessage {
  message: MessageDto;
  state: 'sent' | 'pending' | 'failed';
  /** The files an unsent message is still uploading (or failed to); the server's copy has its attachments. */
  uploads?: readonly Upload[];
  /** Why it was not sent, in words. */
  reason?: string;
  /** Refused by the server (kept in the outbox until the user retries, edits or discards it). */
  refused?: boolean;
  /** It failed for want of the network: it goes again by itself on reconnect. */
  retryable?: boolean;
}

const isSent = (entry: ShownMessage) => entry.state === 'sent';

/** What a new message is besides text: a reply (`relatesTo` its target) or a reaction (its emoji as the body). */
export interface Relation {
  kind: 'message' | 'reaction';
  relatesTo: string;
}

/** The copy shown at once while a new message is on its way, sent later with this `clientId` and timer. */
export function optimisticMessage(conversationId: string, senderId: string, body: string, timer: TimerSetting, relation?: Relation): MessageDto {
  return {
    id: `local-${randomUuid()}`,
    clientId: randomUuid(),
    conversationId,
    senderId,
    body: body || null,
    ciphertext: null,
    senderDeviceId: null,
    kind: relation?.kind ?? 'message',
    relatesTo: relation?.relatesTo ?? null,
    attachments: [],
    createdAt: new Date().toISOString(),
    deleted: false,
    editedAt: null,
    expiresAt: null,
    expiresInSeconds: timer.seconds,
    expiryMode: timer.seconds === null ? null : timer.mode,
    seq: Number.MAX_SAFE_INTEGER,
  };
}

/** The entries without the reactions to `messageId` (deleting a message takes them along on the server). */
export function withoutReactionsTo(entries: ShownMessage[], messageId: string): ShownMessage[] {
  const kept = entries.filter((entry) => entry.message.kind !== 'reaction' || entry.message.relatesTo !== messageId);
  return kept.length === entries.length ? entries : kept;
}

/**
 * Server copies replace the optimistic or older copy of the same message, or are added; oldest first.
 * The server keeps one message per sender and clientId: a second one (another id) is a copy, not shown.
 */
export function mergeMessages(entries: readonly ShownMessage[], messages: readonly MessageDto[]): ShownMessage[] {
  const result = [...entries];
  for (const message of messages) {
    if (result.some((entry) => entry.state === 'sent' && entry.message.id !== message.id && entry.message.clientId === message.clientId && entry.message.senderId === message.senderId)) continue;
    const index = result.findIndex(
      (entry) => entry.message.id === message.id || (entry.state !== 'sent' && entry.message.clientId === message.clientId),
    );
    if (index >= 0) {
      const current = result[index].message;
      // An older copy never overwrites a newer one (a late REST answer after an edit event).
      if (current.id === message.id && current.editedAt && message.editedAt && current.editedAt > message.editedAt && !message.deleted) continue;
      if (current.deleted && !message.deleted && current.id === message.id) continue;
      result[index] = { message, state: 'sent' };
    } else {
      result.push({ message, state: 'sent' });
    }
  }
  return result.sort((a, b) => a.message.seq - b.message.seq);
}

/** The entries once `readerId` read up to `seq` at `readAt`; the same array when no read clock started. */
export function startReadClocks(entries: ShownMessage[], readerId: string, seq: number, readAt: string): ShownMessage[] {
  const started = entries.map((entry) => {
    if (!isSent(entry)) return entry;
    const message = startReadClock(entry.message, readerId, seq, readAt);
    return message === entry.message ? entry : { ...entry, message };
  });
  return started.some((entry, index) => entry !== entries[index]) ? started : entries;
}

/** The entries without the sent messages whose time is up at `now`; the same array when none is. */
export function withoutExpired(entries: ShownMessage[], now: number): ShownMessage[] {
  if (!entries.some((entry) => isSent(entry) && hasExpired(entry.message, now))) return entries;
  return entries.filter((entry) => !isSent(entry) || !hasExpired(entry.message, now));
}

/** The `expiresAt` of every sent message, for the alarm of the next one to go. */
export function sentExpiries(entries: readonly ShownMessage[]): (string | null)[] {
  return entries.filter(isSent).map((entry) => entry.message.expiresAt);
}

/** The newest `seq` the server gave, 0 when there is none. */
export function newestSentSeq(entries: readonly ShownMessage[]): number {
  const sent = entries.filter(isSent);
  return sent.length ? sent[sent.length - 1].message.seq : 0;
}

/** Whether the entry is an unsent message left with neither text nor files (the user cancelled them). */
export function isEmptyFailure(entry: ShownMessage): boolean {
  return entry.state === 'failed' && !entry.message.body && (entry.uploads ?? []).every((upload) => upload.state() === 'cancelled');
}

/** Your newest sent message the reader has read up to `readSeq`, the one that carries "Seen"; null when none. */
export function seenMessageId(entries: readonly ShownMessage[], me: string | null, readSeq: number): string | null {
  const mine = entries.filter((entry) => isSent(entry) && entry.message.senderId === me && !entry.message.deleted && entry.message.kind !== 'reaction');
  const last = mine[mine.length - 1];
  return last && last.message.seq <= readSeq ? last.message.id : null;
}
