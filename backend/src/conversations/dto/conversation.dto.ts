import { IsBoolean, IsIn, IsInt, IsOptional, IsUUID, Max, Min, ValidateIf } from 'class-validator';
import { MAX_EXPIRY_SECONDS, MessageDto, MIN_EXPIRY_SECONDS } from './message.dto.js';
import { OptionalNotNull } from '../../common/validation.js';
import { UserSummaryDto } from '../../users/dto/user.dto.js';
import { EXPIRY_MODES, type ExpiryMode } from '../conversation.entity.js';

/** Why a conversation takes no new messages (see ConversationDto.readOnly). */
export const CONVERSATION_READ_ONLY = ['blocked', 'not-friends', 'peer-gone'] as const;
export type ConversationReadOnly = (typeof CONVERSATION_READ_ONLY)[number];

export class ConversationDto {
  id: string;
  /** The other member; null once their account was erased (show "Deleted user"). */
  peer: UserSummaryDto | null;
  /**
   * Why you cannot write here, or null when you can: `blocked` (you blocked the peer; unblocking alone
   * does not make you friends again), `not-friends` (no friendship: unfriended, or the peer blocked
   * you, which is deliberately not told apart), `peer-gone` (their account was erased). The history stays readable.
   */
  readOnly: ConversationReadOnly | null;
  /** Newest message you can still see (a deleted one shows as a tombstone); null if none. */
  lastMessage: MessageDto | null;
  /** Messages from the peer after your read marker, not counting deleted or expired ones. */
  unreadCount: number;
  /** The `seq` of the newest message the peer has read (for "Seen"); 0 before they read any, null once their account was erased. */
  peerLastReadSeq: number | null;
  lastActivityAt: Date;
  /** Timer applied to new messages that do not set their own; null for none. */
  defaultExpiresInSeconds: number | null;
  defaultExpiryMode: ExpiryMode;
  /**
   * End-to-end encrypted: messages are sent as `ciphertext` (never `body`) and attachments as encrypted
   * blobs. Once on, it never goes off.
   */
  encrypted: boolean;
  /** You muted it: no push, sound or desktop notification for it; its messages still count as unread. Yours only. */
  muted: boolean;
}

export class ConversationPageDto {
  /** Most recent activity first. */
  items: ConversationDto[];
  nextCursor: string | null;
}

export class CreateConversationDto {
  /** The friend to talk to. */
  @IsUUID()
  userId: string;

  /**
   * Encrypt the conversation end to end. Left out, the server's `E2EE_DEFAULT` decides for a new one.
   * For an existing conversation, `true` turns encryption on if it was off (it never goes off again);
   * otherwise the existing conversation is returned as it is.
   */
  @OptionalNotNull()
  @IsBoolean()
  encrypted?: boolean;
}

export class MuteConversationDto {
  @IsBoolean()
  muted: boolean;
}

export class UpdateConversationDto {
  /** Default timer for messages sent from now on (5 s – 4 weeks), or null to turn it off. */
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsInt()
  @Min(MIN_EXPIRY_SECONDS)
  @Max(MAX_EXPIRY_SECONDS)
  defaultExpiresInSeconds?: number | null;

  @OptionalNotNull()
  @IsIn(EXPIRY_MODES)
  defaultExpiryMode?: ExpiryMode;

  /** `true` turns end-to-end encryption on, for good: `false` once it is on is refused (ENCRYPTION_IRREVERSIBLE). */
  @OptionalNotNull()
  @IsBoolean()
  encrypted?: boolean;
}
