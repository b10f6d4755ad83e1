import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayUnique, IsArray, IsIn, IsInt, IsOptional, IsString, IsUUID, Length, Max, Min, ValidateIf } from 'class-validator';
import { type AttachmentDto, MAX_ATTACHMENTS_PER_MESSAGE } from '../../attachments/dto/attachment.dto.js';
import { PageLimitDto } from '../../common/page-query.dto.js';
import { OptionalNotNull } from '../../common/validation.js';
import { EXPIRY_MODES, type ExpiryMode } from '../../conversations/conversation.entity.js';
import type { Message } from '../message.entity.js';

export const MIN_EXPIRY_SECONDS = 5;
export const MAX_EXPIRY_SECONDS = 2_419_200;
export const MAX_BODY_LENGTH = 4000;
/** `seq` is a PostgreSQL integer. */
export const MAX_SEQ = 2 ** 31 - 1;

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

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

export class MessagePageDto {
  /** Oldest first. */
  items: MessageDto[];
  /** With `after`: the `seq` to continue forwards from; otherwise the `seq` to continue backwards from. Null at the end. */
  nextCursor: string | null;
}

export class SendMessageDto {
  /** A UUID the client makes up per message; sending again with the same one never creates a second message. */
  @IsUUID()
  clientId: string;

  /** 1–4,000 characters after trimming; may be left out (or empty) when the message has attachments. */
  @Transform(trim)
  @ValidateIf((dto: SendMessageDto) => !dto.attachmentIds?.length || (dto.body !== undefined && dto.body !== null && dto.body !== ''))
  @IsString()
  @Length(1, MAX_BODY_LENGTH)
  body?: string | null;

  /** Up to 10 ids of your own uploads (POST /api/attachments) not yet sent in another message. */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_ATTACHMENTS_PER_MESSAGE)
  @ArrayUnique()
  @IsUUID('all', { each: true })
  attachmentIds?: string[];

  /** Timer in seconds (5 s – 4 weeks); leave out for the conversation's default, or null for no timer. */
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsInt()
  @Min(MIN_EXPIRY_SECONDS)
  @Max(MAX_EXPIRY_SECONDS)
  expiresInSeconds?: number | null;

  /** When the timer starts: at sending, or when the recipient first reads it. Defaults to the conversation's mode. */
  @OptionalNotNull()
  @IsIn(EXPIRY_MODES)
  expiryMode?: ExpiryMode;
}

export class EditMessageDto {
  /** 1–4,000 characters after trimming. */
  @Transform(trim)
  @IsString()
  @Length(1, MAX_BODY_LENGTH)
  body: string;
}

/** Pages by `seq` with `before`/`after`; there is deliberately no `cursor`. */
export class HistoryQueryDto extends PageLimitDto {
  /** Messages older than this `seq` (the newest page when neither `before` nor `after` is given). */
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(1)
  @Max(MAX_SEQ)
  before?: number;

  /** Messages newer than this `seq`, e.g. the newest one a reconnecting client has. */
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(0)
  @Max(MAX_SEQ)
  after?: number;
}

export class MarkReadDto {
  /** The newest message the reader has seen. */
  @IsUUID()
  messageId: string;
}

export function toMessageDto(message: Message, attachments: AttachmentDto[] = []): MessageDto {
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

export function messageFromRow(row: MessageRow): Message {
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
