import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { User } from '../users/user.entity.js';
import { Conversation } from './conversation.entity.js';

/**
 * A user's own state in a conversation: how far they have read, whether they muted it, and the summary
 * the conversation list reads instead of the messages (kept on write: docs/performance.md#inbox).
 */
@Entity('conversation_members')
// The conversation list is a backward range of this index: a page costs its own rows, not the user's conversations.
@Index('IDX_conversation_members_user_activity', ['userId', 'lastActivityAt', 'conversationId'])
export class ConversationMember {
  @PrimaryColumn({ name: 'conversation_id', type: 'uuid', primaryKeyConstraintName: 'PK_conversation_members' })
  conversationId: string;

  @ManyToOne(() => Conversation, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'conversation_id', foreignKeyConstraintName: 'FK_conversation_members_conversation' })
  conversation?: Relation<Conversation>;

  @PrimaryColumn({ name: 'user_id', type: 'uuid', primaryKeyConstraintName: 'PK_conversation_members' })
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_conversation_members_user' })
  user?: Relation<User>;

  /** Sequence number of the newest message this member has read. */
  @Column({ name: 'last_read_seq', type: 'integer', default: 0 })
  lastReadSeq: number;

  /** No push, sound or desktop notification for new messages here; they still count as unread. */
  @Column({ type: 'boolean', default: false })
  muted: boolean;

  /** The conversation's last activity (conversations.last_activity_at), copied so the list's index holds it. */
  @Column({ name: 'last_activity_at', type: 'timestamptz' })
  lastActivityAt: Date;

  /**
   * The peer's messages (not reactions) after last_read_seq that are neither deleted nor swept yet;
   * whether they expired meanwhile is for the reader to check, through unreadExpiresAt.
   */
  @Column({ name: 'unread_count', type: 'integer', default: 0 })
  unreadCount: number;

  /**
   * Never later than the earliest expires_at among the messages unreadCount counts (null: none has a
   * timer). Once it has passed, the list counts the unread messages itself.
   */
  @Column({ name: 'unread_expires_at', type: 'timestamptz', nullable: true })
  unreadExpiresAt: Date | null;
}
