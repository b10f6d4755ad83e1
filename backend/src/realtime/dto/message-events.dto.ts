import type { ExpiryMode } from '../../conversations/conversation.entity.js';

/**
 * `message.expired`: the sweep deleted these messages (they were already hidden from their `expiresAt` on),
 * and the reactions to them.
 */
export class MessagesExpiredEventDto {
  conversationId: string;
  messageIds: string[];
}

/**
 * `conversation.updated`: a member changed the conversation's default timer for messages sent from now on,
 * or turned end-to-end encryption on.
 */
export class ConversationUpdatedEventDto {
  conversationId: string;
  /** Who changed it. */
  userId: string;
  /** Null when the default timer is off. */
  defaultExpiresInSeconds: number | null;
  defaultExpiryMode: ExpiryMode;
  /** End-to-end encryption is on (it never goes off again). */
  encrypted: boolean;
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
