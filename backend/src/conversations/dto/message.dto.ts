import { IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';
import type { AttachmentDto } from '../../attachments/dto/attachment.dto.js';
import type { ExpiryMode } from '../conversation.entity.js';

export const MIN_EXPIRY_SECONDS = 5;
export const MAX_EXPIRY_SECONDS = 2_419_200;

export const MESSAGE_KINDS = ['message', 'reaction'] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

export const MEGOLM_ALGORITHM = 'm.megolm.v1.aes-sha2';
/** Largest ciphertext content, as JSON in UTF-8. */
export const MAX_CIPHERTEXT_BYTES = 64 * 1024;
/** Standard base64, padded or not (Matrix leaves the padding out). */
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** Iris's device ids are uuids; Matrix's are printable ASCII. Anything else (a lone surrogate) would not fit jsonb. */
const DEVICE_ID = /^[\x21-\x7e]+$/;

/**
 * The Megolm `m.room.encrypted` content the sender's client made (OlmMachine.encryptRoomEvent). The server
 * checks its shape only: it cannot read it, and holds nothing that could.
 */
export class EncryptedContentDto {
  @IsIn([MEGOLM_ALGORITHM])
  algorithm: typeof MEGOLM_ALGORITHM;

  /** The encrypted event, base64. */
  @IsString()
  @Length(1, MAX_CIPHERTEXT_BYTES)
  @Matches(BASE64, { message: 'ciphertext must be base64' })
  ciphertext: string;

  /** The Megolm session that encrypted it, base64. */
  @IsString()
  @Length(1, 256)
  @Matches(BASE64, { message: 'session_id must be base64' })
  session_id: string;

  /** The sending device's Curve25519 key, base64 (deprecated in Matrix; sent by current clients). */
  @IsOptional()
  @IsString()
  @Length(1, 256)
  @Matches(BASE64, { message: 'sender_key must be base64' })
  sender_key?: string;

  /** The sending device's id (deprecated in Matrix; sent by current clients): printable ASCII. */
  @IsOptional()
  @IsString()
  @Length(1, 255)
  @Matches(DEVICE_ID, { message: 'device_id must be printable ASCII' })
  device_id?: string;
}

export type EncryptedContent = EncryptedContentDto;

/** The columns of a message (the messages module's entity has them, and its relations). */
export interface MessageFields {
  id: string;
  conversationId: string;
  seq: number;
  senderId: string;
  clientId: string;
  body: string | null;
  ciphertext: EncryptedContent | null;
  senderDeviceId: string | null;
  kind: MessageKind;
  relatesTo: string | null;
  createdAt: Date;
  editedAt: Date | null;
  deletedAt: Date | null;
  expiresInSeconds: number | null;
  expiryMode: ExpiryMode | null;
  expiresAt: Date | null;
}

export class MessageDto {
  id: string;
  conversationId: string;
  /** Position in the conversation (1, 2, 3 …); use it as `before`/`after` when paging. */
  seq: number;
  senderId: string;
  /** The id the sender's client chose, for matching its optimistic copy. */
  clientId: string;
  /** Null when the message was deleted, when it carries only attachments, and always in an encrypted conversation. */
  body: string | null;
  /**
   * In an encrypted conversation, the Megolm `m.room.encrypted` content to decrypt on the device (its
   * plaintext is the message content: text, attachment keys, reaction key, reply); null when deleted and
   * in a plaintext conversation.
   */
  ciphertext: EncryptedContentDto | null;
  /** The sender's device (sign-in session) it was sent from; null when the server sent it itself (the seed). */
  senderDeviceId: string | null;
  /** `reaction`s point at a message with `relatesTo`, never count as unread, and go when their message goes. */
  kind: MessageKind;
  /** The message (same conversation) a reaction or reply points at; null for none. */
  relatesTo: string | null;
  /** In the order they were sent; empty once the message is deleted. */
  attachments: AttachmentDto[];
  createdAt: Date;
  editedAt: Date | null;
  deleted: boolean;
  expiresInSeconds: number | null;
  expiryMode: ExpiryMode | null;
  /** When it disappears; null without a timer, and for `afterRead` until the recipient reads it. */
  expiresAt: Date | null;
}

export function toMessageDto(message: MessageFields, attachments: AttachmentDto[] = []): MessageDto {
  return {
    id: message.id,
    conversationId: message.conversationId,
    seq: message.seq,
    senderId: message.senderId,
    clientId: message.clientId,
    body: message.deletedAt ? null : message.body,
    ciphertext: message.deletedAt ? null : message.ciphertext,
    senderDeviceId: message.senderDeviceId,
    kind: message.kind,
    relatesTo: message.relatesTo,
    attachments: message.deletedAt ? [] : attachments,
    createdAt: message.createdAt,
    editedAt: message.editedAt,
    deleted: message.deletedAt !== null,
    expiresInSeconds: message.expiresInSeconds,
    expiryMode: message.expiryMode,
    expiresAt: message.expiresAt,
  };
}

/** A message row as raw SQL returns it (snake_case; from `to_jsonb`, timestamps are strings). */
export type MessageRow = Record<string, unknown>;

export function messageFromRow(row: MessageRow): MessageFields {
  const date = (value: unknown) => (value === null || value === undefined ? null : new Date(value as string));
  return {
    id: row.id as string,
    conversationId: row.conversation_id as string,
    seq: Number(row.seq),
    senderId: row.sender_id as string,
    clientId: row.client_id as string,
    body: row.body as string | null,
    ciphertext: (row.ciphertext as EncryptedContent | null) ?? null,
    senderDeviceId: (row.sender_device_id as string | null) ?? null,
    kind: (row.kind as MessageKind | undefined) ?? 'message',
    relatesTo: (row.relates_to as string | null) ?? null,
    createdAt: date(row.created_at)!,
    editedAt: date(row.edited_at),
    deletedAt: date(row.deleted_at),
    expiresInSeconds: row.expires_in_seconds as number | null,
    expiryMode: row.expiry_mode as ExpiryMode | null,
    expiresAt: date(row.expires_at),
  };
}
