import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Max,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { MAX_ATTACHMENTS_PER_MESSAGE } from '../../attachments/dto/attachment.dto.js';
import { PageLimitDto } from '../../common/page-query.dto.js';
import { OptionalNotNull } from '../../common/validation.js';
import { EXPIRY_MODES, type ExpiryMode } from '../../conversations/conversation.entity.js';
import {
  EncryptedContentDto,
  MAX_EXPIRY_SECONDS,
  MESSAGE_KINDS,
  MessageDto,
  type MessageKind,
  MIN_EXPIRY_SECONDS,
} from '../../conversations/dto/message.dto.js';

// The message as the API answers it is shared with the conversation list (its last message), so it lives there.
export {
  EncryptedContentDto,
  type EncryptedContent,
  MAX_CIPHERTEXT_BYTES,
  MAX_EXPIRY_SECONDS,
  MessageDto,
  messageFromRow,
  type MessageKind,
  type MessageRow,
  MIN_EXPIRY_SECONDS,
  toMessageDto,
} from '../../conversations/dto/message.dto.js';

export const MAX_BODY_LENGTH = 4000;
/** `seq` is a PostgreSQL integer. */
export const MAX_SEQ = 2 ** 31 - 1;

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

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

  /**
   * Plaintext conversations only: 1–4,000 characters after trimming; may be left out (or empty) when the
   * message has attachments. An encrypted conversation refuses it (ENCRYPTION_MISMATCH).
   */
  @Transform(trim)
  @ValidateIf(
    (dto: SendMessageDto) =>
      (!dto.attachmentIds?.length && dto.ciphertext === undefined) || (dto.body !== undefined && dto.body !== null && dto.body !== ''),
  )
  @IsString()
  @Length(1, MAX_BODY_LENGTH)
  body?: string | null;

  /**
   * Encrypted conversations only, and required there: the Megolm `m.room.encrypted` content (at most
   * 64 KiB as JSON). A plaintext conversation refuses it (ENCRYPTION_MISMATCH).
   */
  @OptionalNotNull()
  @IsObject()
  @ValidateNested()
  @Type(() => EncryptedContentDto)
  ciphertext?: EncryptedContentDto;

  /** `message` (the default) or `reaction`; a reaction needs `relatesTo`. In the clear in both kinds of conversation. */
  @OptionalNotNull()
  @IsIn(MESSAGE_KINDS)
  kind?: MessageKind;

  /** The message of this conversation that a reaction or a reply points at (RELATED_MESSAGE_NOT_FOUND otherwise). */
  @ValidateIf((dto: SendMessageDto) => dto.kind === 'reaction' || dto.relatesTo !== undefined)
  @IsUUID()
  relatesTo?: string;

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

/** One of the two: `body` in a plaintext conversation, `ciphertext` in an encrypted one (ENCRYPTION_MISMATCH otherwise). */
export class EditMessageDto {
  /** 1–4,000 characters after trimming. */
  @Transform(trim)
  @ValidateIf((dto: EditMessageDto) => dto.ciphertext === undefined || dto.body !== undefined)
  @IsString()
  @Length(1, MAX_BODY_LENGTH)
  body?: string;

  /** The new Megolm content, replacing the old one. */
  @ValidateIf((dto: EditMessageDto) => dto.body === undefined || dto.ciphertext !== undefined)
  @IsObject()
  @ValidateNested()
  @Type(() => EncryptedContentDto)
  ciphertext?: EncryptedContentDto;
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
