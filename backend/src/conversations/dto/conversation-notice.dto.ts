import type { ExpiryMode } from '../conversation.entity.js';
import type { ConversationNotice, ConversationNoticeType } from '../conversation-notice.entity.js';

/** A change of the conversation's settings, as the history shows it among the messages. */
export class ConversationNoticeDto {
  id: string;
  conversationId: string;
  /** Who changed it; null once their account was erased (show "Deleted user"). */
  actorId: string | null;
  /**
   * `timer`: the default disappearing-message timer changed (`expiresInSeconds` null: turned off);
   * `encryption`: end-to-end encryption was turned on.
   */
  type: ConversationNoticeType;
  /** For `timer`: the new default timer, null when it was turned off; null for other types. */
  expiresInSeconds: number | null;
  /** For `timer`: the new default mode; null for other types. */
  expiryMode: ExpiryMode | null;
  /** The `seq` of the conversation's newest message when it happened (0 before any): show it after that message. */
  afterSeq: number;
  createdAt: Date;
}

export class ConversationNoticePageDto {
  /** Newest first. */
  items: ConversationNoticeDto[];
  nextCursor: string | null;
}

export function toConversationNoticeDto(notice: ConversationNotice): ConversationNoticeDto {
  const timer = notice.type === 'timer';
  return {
    id: notice.id,
    conversationId: notice.conversationId,
    actorId: notice.actorId,
    type: notice.type,
    expiresInSeconds: timer ? (notice.data.expiresInSeconds ?? null) : null,
    expiryMode: timer ? (notice.data.expiryMode ?? null) : null,
    afterSeq: notice.afterSeq,
    createdAt: notice.createdAt,
  };
}
