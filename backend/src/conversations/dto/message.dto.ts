import type { AttachmentDto } from '../../attachments/dto/attachment.dto.js';
import type { ExpiryMode } from '../conversation.entity.js';

export const MIN_EXPIRY_SECONDS = 5;
export const MAX_EXPIRY_SECONDS = 2_419_200;

/** The columns of a message (the messages module's entity has them, and its relations). */
export interface MessageFields {
  id: string;
  conversationId: string;
  seq: number;
  senderId: string;
  clientId: string;
  body: string | null;
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
  /** Null when the message was deleted, or when it carries only attachments. */
  body: string | null;
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
    createdAt: date(row.created_at)!,
    editedAt: date(row.edited_at),
    deletedAt: date(row.deleted_at),
    expiresInSeconds: row.expires_in_seconds as number | null,
    expiryMode: row.expiry_mode as ExpiryMode | null,
    expiresAt: date(row.expires_at),
  };
}
