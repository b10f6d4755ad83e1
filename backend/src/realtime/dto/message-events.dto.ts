import type { ExpiryMode } from '../../conversations/conversation.entity.js';

/** `message.expired`: the sweep deleted these messages (they were already hidden from their `expiresAt` on). */
export class MessagesExpiredEventDto {
  conversationId: string;
  messageIds: string[];
}

/** `conversation.updated`: a member changed the conversation's default timer for messages sent from now on. */
export class ConversationUpdatedEventDto {
  conversationId: string;
  /** Who changed it. */
  userId: string;
  /** Null when the default timer is off. */
  defaultExpiresInSeconds: number | null;
  defaultExpiryMode: ExpiryMode;
}

/**
 * `conversation.read`: a member's read marker moved forward. The peer's `afterRead` messages up to `seq`
 * whose `expiresAt` was null now expire at `readAt + expiresInSeconds`.
 */
export class ConversationReadEventDto {
  conversationId: string;
  /** Who read. */
  userId: string;
  /** The newest message they have read. */
  messageId: string;
  /** Its `seq`: everything up to it is read. */
  seq: number;
  readAt: Date;
}
