import { HttpErrorResponse, type HttpClient } from '@angular/common/http';
import type { Observable } from 'rxjs';
import { attachmentsDownload } from '../../../sdk/fn/attachments/attachments-download';
import { conversationsList } from '../../../sdk/fn/conversations/conversations-list';
import { messagesHistory } from '../../../sdk/fn/messages/messages-history';
import type { ConversationDto } from '../../../sdk/models/conversation-dto';
import type { ConversationPageDto } from '../../../sdk/models/conversation-page-dto';
import type { MessageDto } from '../../../sdk/models/message-dto';
import type { MessagePageDto } from '../../../sdk/models/message-page-dto';
import type { StrictHttpResponse } from '../../../sdk/strict-http-response';
import { describeError } from '../../core/api-errors';
import { AttachmentIntegrityError } from '../../core/crypto/attachment-crypto';
import type { DecryptResult, EncryptedMessage } from '../../core/crypto/crypto-service';
import {
  type AttachmentInfo,
  type EncryptedFile,
  isEncryptedAttachment,
  type MessageContent,
  messageContentFromPlain,
} from '../../core/crypto/message-content';
import { ZipWriter } from './zip-writer';

/** The version of the format below; README.txt names it. */
export const CONVERSATIONS_EXPORT_FORMAT = 'iris-conversations/1';

/** What the exporter reads from the server: the conversation list, each history, the files. */
export interface ExportSource {
  conversations(cursor: string | null, signal: AbortSignal): Promise<ConversationPageDto>;
  /** A page of history older than `before` (the newest page for null), oldest first. */
  history(conversationId: string, before: number | null, signal: AbortSignal): Promise<MessagePageDto>;
  download(attachmentId: string, signal: AbortSignal): Promise<Blob>;
}

export interface ExportProgress {
  /** Null while the conversation list is still being read. */
  conversationsTotal: number | null;
  conversationsDone: number;
  messages: number;
  files: number;
  filesFailed: number;
}

export interface ConversationsExportOptions {
  source: ExportSource;
  /** The device's crypto; null when it cannot run here, with `cryptoUnavailable` saying why. */
  crypto: { decrypt(message: EncryptedMessage): Promise<DecryptResult> } | null;
  cryptoUnavailable?: string;
  /** Checks an encrypted file's hash and decrypts it (the attachment worker); may take over the buffer. */
  decryptFile(ciphertext: ArrayBuffer, info: EncryptedFile): Promise<Uint8Array<ArrayBuffer>>;
  user: { id: string; username: string; displayName: string };
  /** This device (the sign-in session's id) and the browser it is, for README.txt. */
  device: { id: string | null; description: string };
  now?: () => Date;
  signal?: AbortSignal;
  onProgress?(progress: ExportProgress): void;
}

export interface ConversationsExportResult {
  blob: Blob;
  fileName: string;
  progress: ExportProgress;
  /** Messages listed with the reason this device could not read them. */
  undecryptable: number;
}

/** The export's JSON, one file per conversation. */
export interface ExportedConversation {
  id: string;
  peer: { id: string; username: string; displayName: string } | null;
  encrypted: boolean;
  messages: ExportedMessage[];
}

export interface ExportedMessage {
  id: string;
  seq: number;
  senderId: string;
  createdAt: string;
  editedAt: string | null;
  deleted: boolean;
  kind: MessageDto['kind'];
  relatesTo: string | null;
  /** What it says (attachments are in `attachments`); null for a deleted message. */
  content?: ExportedContent | null;
  /** Instead of `content`: why this device could not read it. */
  undecryptable?: { reason: string; message: string };
  attachments: ExportedAttachment[];
}

export type ExportedContent = Omit<MessageContent, 'attachments'>;

export interface ExportedAttachment {
  /** The path inside the zip; absent when the file could not be included. */
  file?: string;
  name: string;
  mimeType: string;
  size: number;
  /** Instead of `file`: why it is not in the zip. */
  unavailable?: string;
}

const NO_DEVICE = 'This device can\u2019t read encrypted messages right now';

/**
 * "Export my conversations": pages through every conversation and its whole history, decrypts what
 * this device can read, downloads (and decrypts) every file, and zips it all, in memory only. An
 * aborted `signal` stops it with the signal's reason.
 */
export async function exportConversations(options: ConversationsExportOptions): Promise<ConversationsExportResult> {
  const signal = options.signal ?? new AbortController().signal;
  const now = options.now ?? (() => new Date());
  const startedAt = now();
  const zip = new ZipWriter(startedAt);
  const progress: ExportProgress = { conversationsTotal: null, conversationsDone: 0, messages: 0, files: 0, filesFailed: 0 };
  const report = () => options.onProgress?.({ ...progress });
  let undecryptable = 0;

  report();
  const conversations = await listConversations(options.source, signal);
  progress.conversationsTotal = conversations.length;
  report();

  for (const conversation of conversations) {
    const messages: ExportedMessage[] = [];
    for (const message of await fullHistory(options.source, conversation.id, signal)) {
      if (message.expiresAt !== null && Date.parse(message.expiresAt) <= now().getTime()) continue;
      const { exported, attachments } = await exportMessage(message, options);
      signal.throwIfAborted();
      if (exported.undecryptable) undecryptable++;
      messages.push(exported);
      progress.messages++;
      for (const [index, attachment] of attachments.entries()) {
        const file = await exportFile(zip, message.id, index + 1, attachment, options, signal);
        exported.attachments.push(file);
        if (file.unavailable) progress.filesFailed++;
        else progress.files++;
        report();
      }
    }
    const json: ExportedConversation = {
      id: conversation.id,
      peer: conversation.peer ? { id: conversation.peer.id, username: conversation.peer.username, displayName: conversation.peer.displayName } : null,
      encrypted: conversation.encrypted,
      messages,
    };
    await zip.add(`conversations/${conversation.id}.json`, JSON.stringify(json, null, 2) + '\n');
    progress.conversationsDone++;
    report();
  }

  await zip.add('README.txt', readme(options, startedAt, progress, undecryptable));
  return { blob: zip.finish(), fileName: exportFileName(options.user.username, startedAt), progress: { ...progress }, undecryptable };
}

async function listConversations(source: ExportSource, signal: AbortSignal): Promise<ConversationDto[]> {
  const all: ConversationDto[] = [];
  let cursor: string | null = null;
  do {
    signal.throwIfAborted();
    const page = await source.conversations(cursor, signal);
    all.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return all;
}

/** Every message, oldest first, reading backwards from the newest page by `seq`. */
async function fullHistory(source: ExportSource, conversationId: string, signal: AbortSignal): Promise<MessageDto[]> {
  const pages: MessageDto[][] = [];
  let before: number | null = null;
  for (;;) {
    signal.throwIfAborted();
    const page = await source.history(conversationId, before, signal);
    pages.push(page.items);
    const next = page.nextCursor === null ? NaN : Number(page.nextCursor);
    // A cursor that does not move back would page forever.
    if (!Number.isFinite(next) || (before !== null && next >= before) || page.items.length === 0) break;
    before = next;
  }
  const byId = new Map<string, MessageDto>();
  for (const message of pages.reverse().flat()) byId.set(message.id, message);
  return [...byId.values()].sort((a, b) => a.seq - b.seq);
}

/** The message as exported, and the files its content carries (written next). */
async function exportMessage(message: MessageDto, options: ConversationsExportOptions): Promise<{ exported: ExportedMessage; attachments: AttachmentInfo[] }> {
  const exported: ExportedMessage = {
    id: message.id,
    seq: message.seq,
    senderId: message.senderId,
    createdAt: message.createdAt,
    editedAt: message.editedAt,
    deleted: message.deleted,
    kind: message.kind,
    relatesTo: message.relatesTo,
    attachments: [],
  };
  if (message.deleted) {
    exported.content = null;
    return { exported, attachments: [] };
  }
  let content: MessageContent;
  if (message.ciphertext == null) {
    content = messageContentFromPlain(message);
  } else if (!options.crypto) {
    exported.undecryptable = { reason: 'no-device', message: options.cryptoUnavailable ?? NO_DEVICE };
    return { exported, attachments: [] };
  } else {
    const result = await options.crypto.decrypt({ ...message, ciphertext: message.ciphertext });
    if (result.kind !== 'ok') {
      exported.undecryptable = { reason: result.reason, message: result.message };
      return { exported, attachments: [] };
    }
    content = result.content;
  }
  exported.content = withoutAttachments(content);
  return { exported, attachments: content.attachments ?? [] };
}

function withoutAttachments(content: MessageContent): ExportedContent {
  const exported: ExportedContent = { type: content.type };
  if (content.body !== undefined) exported.body = content.body;
  if (content.inReplyTo !== undefined) exported.inReplyTo = content.inReplyTo;
  if (content.key !== undefined) exported.key = content.key;
  return exported;
}

/** Downloads one file (decrypting it in an encrypted conversation) into the zip, or says why it could not. */
async function exportFile(
  zip: ZipWriter,
  messageId: string,
  index: number,
  attachment: AttachmentInfo,
  options: ConversationsExportOptions,
  signal: AbortSignal,
): Promise<ExportedAttachment> {
  const described = { name: attachment.name, mimeType: attachment.mimetype, size: attachment.size };
  const path = `files/${messageId}-${index}-${safeFileName(attachment.name)}`;
  let contents: Blob;
  try {
    signal.throwIfAborted();
    const downloaded = await options.source.download(attachment.id, signal);
    if (isEncryptedAttachment(attachment)) {
      const bytes = await options.decryptFile(await downloaded.arrayBuffer(), attachment);
      contents = new Blob([bytes], { type: attachment.mimetype });
    } else {
      contents = downloaded;
    }
  } catch (error) {
    signal.throwIfAborted();
    return { ...described, unavailable: fileError(error) };
  }
  signal.throwIfAborted();
  await zip.add(path, contents);
  return { file: path, ...described, size: contents.size };
}

function fileError(error: unknown): string {
  if (error instanceof AttachmentIntegrityError) return error.message;
  if (error instanceof HttpErrorResponse && (error.status === 404 || error.status === 410)) return 'The file is no longer on the server';
  if (error instanceof HttpErrorResponse) return describeError(error);
  return error instanceof Error && error.message ? error.message : 'The file could not be read';
}

/** A file name that is safe on any disk: no folders, no reserved characters, at most 100 characters. */
export function safeFileName(name: string): string {
  const cleaned = name
    .normalize('NFC')
    .replace(/[\u0000-\u001f\u007f/\\:*?"<>|]/g, '_')
    .replace(/^[\s.]+|[\s.]+$/g, '');
  const chars = [...cleaned];
  if (chars.length === 0) return 'file';
  if (chars.length <= 100) return cleaned;
  const dot = cleaned.lastIndexOf('.');
  const extension = dot > 0 && cleaned.length - dot <= 16 ? [...cleaned.slice(dot)] : [];
  return chars.slice(0, 100 - extension.length).join('') + extension.join('');
}

export function exportFileName(username: string, at: Date): string {
  return `iris-conversations-${username}-${at.toISOString().slice(0, 10)}.zip`;
}

function readme(options: ConversationsExportOptions, at: Date, progress: ExportProgress, undecryptable: number): string {
  const { user, device } = options;
  return [
    'Iris: your conversations, exported on your device',
    '',
    `Format:    ${CONVERSATIONS_EXPORT_FORMAT}`,
    `Made at:   ${at.toISOString()}`,
    `For:       ${user.displayName} (@${user.username}, user id ${user.id})`,
    `On device: ${device.id ?? 'unknown'} (this sign-in; ${device.description})`,
    '',
    'This zip was made in your browser, not by the server. Messages of end-to-end encrypted',
    'conversations were decrypted on this device with its own keys, and their files were downloaded,',
    'checked against their SHA-256 and decrypted here. The file itself is not encrypted: keep it safe.',
    '',
    'conversations/<conversation id>.json',
    '  { id, peer: { id, username, displayName } | null (a deleted account), encrypted, messages }',
    '  messages, oldest first: { id, seq, senderId, createdAt, editedAt, deleted, kind, relatesTo,',
    '  content: { type: "text" | "reaction" | "notice", body?, inReplyTo?, key? }, attachments }.',
    '  A deleted message is kept as a tombstone (content null); expired messages are left out.',
    '  A message this device could not read has "undecryptable": { reason, message } instead of its',
    '  content, for instance "Sent before this device signed in": a new sign-in is a new device, with',
    '  no keys for what was sent before it.',
    '',
    'files/<message id>-<n>-<name>',
    '  The n-th file of that message, decrypted, under its real name. In the message it is',
    '  { file, name, mimeType, size }; a file that could not be included (gone from the server, or its',
    '  hash did not match) is { name, mimeType, size, unavailable: reason } and has no file here.',
    '',
    `Conversations: ${progress.conversationsDone}`,
    `Messages:      ${progress.messages} (${undecryptable} could not be read on this device)`,
    `Files:         ${progress.files} (${progress.filesFailed} could not be included)`,
    '',
  ].join('\n');
}

/** The source over the generated SDK, with every request cancelled when the signal aborts. */
export function sdkExportSource(http: HttpClient, rootUrl: string): ExportSource {
  return {
    conversations: (cursor, signal) => call(conversationsList(http, rootUrl, { limit: 100, ...(cursor === null ? {} : { cursor }) }), signal),
    history: (id, before, signal) => call(messagesHistory(http, rootUrl, { id, limit: 100, ...(before === null ? {} : { before }) }), signal),
    download: (id, signal) => call(attachmentsDownload(http, rootUrl, { id }), signal),
  };
}

function call<T>(request: Observable<StrictHttpResponse<T>>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      subscription.unsubscribe();
      reject(signal.reason);
    };
    const subscription = request.subscribe({
      next: (response) => resolve(response.body),
      error: (error: unknown) => reject(error),
      complete: () => signal.removeEventListener('abort', onAbort),
    });
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
