import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayUnique, IsArray, IsIn, IsInt, IsOptional, IsString, IsUUID, Length, Max, Min, ValidateIf } from 'class-validator';
import { MAX_ATTACHMENTS_PER_MESSAGE } from '../../attachments/dto/attachment.dto.js';
import { PageLimitDto } from '../../common/page-query.dto.js';
import { OptionalNotNull } from '../../common/validation.js';
import { EXPIRY_MODES, type ExpiryMode } from '../../conversations/conversation.entity.js';
import { MAX_EXPIRY_SECONDS, MessageDto, MIN_EXPIRY_SECONDS } from '../../conversations/dto/message.dto.js';

// The message as the API answers it is shared with the conversation list (its last message), so it lives there.
export { MAX_EXPIRY_SECONDS, MessageDto, messageFromRow, type MessageRow, MIN_EXPIRY_SECONDS, toMessageDto } from '../../conversations/dto/message.dto.js';

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
