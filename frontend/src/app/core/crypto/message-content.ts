import type { AttachmentDto } from '../../../sdk/models/attachment-dto';

/**
 * One shape for what a message says, in both kinds of conversation (DESIGN §9). In an encrypted
 * conversation it exists only inside the ciphertext; in a plaintext one the server stores its fields
 * and `messageContentFromPlain` rebuilds it, so one renderer serves both.
 */
export type MessageContentType = 'text' | 'reaction' | 'notice';

export interface MessageContent {
  type: MessageContentType;
  body?: string;
  attachments?: AttachmentInfo[];
  /** The message this one answers (its id). */
  inReplyTo?: string;
  /** A reaction's emoji. */
  key?: string;
  /**
   * The `clientId` the sender sent the message with, inside the ciphertext: Megolm authenticates the
   * ciphertext, not the record the server files it under, so a copy filed under another `clientId` (a
   * replay, across reloads too) is told apart. Absent from messages of earlier versions.
   */
  clientId?: string;
}

/** A symmetric key as WebCrypto exports it (Matrix "v2" attachments). */
export interface AttachmentKey {
  kty: 'oct';
  alg: 'A256CTR';
  ext: true;
  /** The 256-bit key, base64url without padding. */
  k: string;
  key_ops: string[];
}

/** How one encrypted blob is opened: AES-256-CTR key and counter, SHA-256 of the ciphertext. */
export interface EncryptedFile {
  key: AttachmentKey;
  /** 16 bytes (the low 8 zero), unpadded base64. */
  iv: string;
  /** SHA-256 of the ciphertext, unpadded base64. */
  hashes: { sha256: string };
  v: 'v2';
}

export interface EncryptedThumbnailInfo extends EncryptedFile {
  /** The uploaded blob's id. */
  id: string;
  mimetype: string;
  size: number;
  width: number;
  height: number;
}

/** An attachment of an encrypted message: the blob's id, how to open it, and what it really is. */
export interface EncryptedAttachmentInfo extends EncryptedFile {
  id: string;
  mimetype: string;
  name: string;
  size: number;
  width?: number;
  height?: number;
  durationSeconds?: number;
  thumbnail?: EncryptedThumbnailInfo;
}

/** An attachment of a plaintext message, as the server describes it. */
export interface PlainAttachmentInfo {
  plain: true;
  id: string;
  url: string;
  mimetype: string;
  name: string;
  size: number;
  width?: number;
  height?: number;
  durationSeconds?: number;
  thumbnailUrl?: string;
}

export type AttachmentInfo = EncryptedAttachmentInfo | PlainAttachmentInfo;

export function isEncryptedAttachment(attachment: AttachmentInfo): attachment is EncryptedAttachmentInfo {
  return !('plain' in attachment);
}

/** The server's limit on a message's text. */
export const MAX_BODY_LENGTH = 4000;
const MAX_ATTACHMENTS = 20;
const MAX_NAME_LENGTH = 255;
const MAX_REACTION_KEY_LENGTH = 64;
const MAX_DIMENSION = 100_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MIME_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/i;
/** 32 bytes in base64url (key) and base64 (hash) without padding; 16 bytes of iv. */
const KEY_B64URL = /^[A-Za-z0-9_-]{43}$/;
const SHA256_B64 = /^[A-Za-z0-9+/]{43}$/;
const IV_B64 = /^[A-Za-z0-9+/]{22}$/;
/** Control characters, except tab and newline, have no place in a name or a text. */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/;

type Json = Record<string, unknown>;

/**
 * Checks decrypted JSON (a string or an already parsed value) against the content model: a peer can
 * send anything, so only known fields of the right type and size are kept, and anything that does not
 * fit makes the whole content invalid (null) rather than half-shown. Never throws.
 */
export function parseMessageContent(input: unknown): MessageContent | null {
  let value = input;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return null;
    }
  }
  if (!isObject(value)) return null;
  const type = value['type'];
  if (type !== 'text' && type !== 'reaction' && type !== 'notice') return null;
  const content: MessageContent = { type };

  const body = value['body'];
  if (body !== undefined) {
    if (typeof body !== 'string' || body.length > MAX_BODY_LENGTH || /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(body)) {
      return null;
    }
    content.body = body;
  }
  const inReplyTo = value['inReplyTo'];
  if (inReplyTo !== undefined) {
    if (!isUuid(inReplyTo)) return null;
    content.inReplyTo = inReplyTo;
  }
  const clientId = value['clientId'];
  if (clientId !== undefined) {
    if (!isUuid(clientId)) return null;
    content.clientId = clientId;
  }
  const key = value['key'];
  if (key !== undefined) {
    if (typeof key !== 'string' || key.length === 0 || key.length > MAX_REACTION_KEY_LENGTH || CONTROL.test(key)) return null;
    content.key = key;
  }
  const attachments = value['attachments'];
  if (attachments !== undefined) {
    if (!Array.isArray(attachments) || attachments.length > MAX_ATTACHMENTS) return null;
    const parsed: EncryptedAttachmentInfo[] = [];
    for (const item of attachments) {
      const attachment = parseEncryptedAttachment(item);
      if (!attachment) return null;
      parsed.push(attachment);
    }
    if (parsed.length > 0) content.attachments = parsed;
  }

  switch (type) {
    case 'text':
      return (content.body !== undefined && content.body.trim() !== '') || content.attachments ? content : null;
    case 'reaction':
      return content.key !== undefined && content.body === undefined && !content.attachments ? content : null;
    case 'notice':
      return content.body !== undefined && !content.attachments ? content : null;
  }
}

/** The fields of a plaintext conversation's message, as the API answers them. */
export interface PlainMessageFields {
  body: string | null;
  attachments: AttachmentDto[];
  kind?: 'message' | 'reaction';
  relatesTo?: string | null;
}

/**
 * A plaintext message's fields in the content model. The server keeps `kind` and `relatesTo` in the
 * clear: a reaction's emoji is its body, and a message's `relatesTo` is the message it answers.
 */
export function messageContentFromPlain(message: PlainMessageFields): MessageContent {
  if (message.kind === 'reaction') return { type: 'reaction', key: message.body ?? '' };
  const content: MessageContent = { type: 'text' };
  if (message.body !== null) content.body = message.body;
  if (message.relatesTo) content.inReplyTo = message.relatesTo;
  if (message.attachments.length > 0) content.attachments = message.attachments.map(plainAttachment);
  return content;
}

function plainAttachment(dto: AttachmentDto): PlainAttachmentInfo {
  const info: PlainAttachmentInfo = { plain: true, id: dto.id, url: dto.url, mimetype: dto.mimeType, name: dto.name, size: dto.size };
  if (dto.width != null) info.width = dto.width;
  if (dto.height != null) info.height = dto.height;
  if (dto.durationSeconds != null) info.durationSeconds = dto.durationSeconds;
  if (dto.thumbnailUrl != null) info.thumbnailUrl = dto.thumbnailUrl;
  return info;
}

function parseEncryptedAttachment(value: unknown): EncryptedAttachmentInfo | null {
  if (!isObject(value)) return null;
  const file = parseEncryptedFile(value);
  const id = value['id'];
  const mimetype = value['mimetype'];
  const name = value['name'];
  const size = value['size'];
  if (!file || !isUuid(id) || !isMimeType(mimetype) || !isName(name) || !isSize(size)) return null;
  const info: EncryptedAttachmentInfo = { id, ...file, mimetype, name, size };
  for (const field of ['width', 'height'] as const) {
    const dimension = value[field];
    if (dimension === undefined) continue;
    if (!isDimension(dimension)) return null;
    info[field] = dimension;
  }
  const duration = value['durationSeconds'];
  if (duration !== undefined) {
    if (typeof duration !== 'number' || !Number.isFinite(duration) || duration < 0 || duration > 1e7) return null;
    info.durationSeconds = duration;
  }
  const thumbnail = value['thumbnail'];
  if (thumbnail !== undefined) {
    const parsed = parseThumbnail(thumbnail);
    if (!parsed) return null;
    info.thumbnail = parsed;
  }
  return info;
}

function parseThumbnail(value: unknown): EncryptedThumbnailInfo | null {
  if (!isObject(value)) return null;
  const file = parseEncryptedFile(value);
  const id = value['id'];
  const mimetype = value['mimetype'];
  const size = value['size'];
  const width = value['width'];
  const height = value['height'];
  if (!file || !isUuid(id) || !isMimeType(mimetype) || !mimetype.startsWith('image/') || !isSize(size)) return null;
  if (!isDimension(width) || !isDimension(height)) return null;
  return { id, ...file, mimetype, size, width, height };
}

/** Only the crypto fields, rebuilt so that nothing else of the peer's object comes along. */
function parseEncryptedFile(value: Json): EncryptedFile | null {
  const key = value['key'];
  const iv = value['iv'];
  const hashes = value['hashes'];
  if (value['v'] !== 'v2' || !isObject(key) || typeof iv !== 'string' || !IV_B64.test(iv) || !isObject(hashes)) return null;
  const sha256 = hashes['sha256'];
  if (typeof sha256 !== 'string' || !SHA256_B64.test(sha256)) return null;
  const k = key['k'];
  const keyOps = key['key_ops'];
  if (key['kty'] !== 'oct' || key['alg'] !== 'A256CTR' || key['ext'] !== true || typeof k !== 'string' || !KEY_B64URL.test(k)) return null;
  if (!Array.isArray(keyOps) || !keyOps.includes('decrypt') || !keyOps.every((op) => op === 'encrypt' || op === 'decrypt')) return null;
  return { key: { kty: 'oct', alg: 'A256CTR', ext: true, k, key_ops: [...keyOps] as string[] }, iv, hashes: { sha256 }, v: 'v2' };
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

function isMimeType(value: unknown): value is string {
  return typeof value === 'string' && MIME_TYPE.test(value);
}

function isName(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_NAME_LENGTH && !CONTROL.test(value) && !/[\n\t]/.test(value);
}

function isSize(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isDimension(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 && value <= MAX_DIMENSION;
}
