import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { User } from '../users/user.entity.js';
import { Conversation, type ExpiryMode } from './conversation.entity.js';

export type ConversationNoticeType = 'timer' | 'encryption';
export const CONVERSATION_NOTICE_TYPES: ConversationNoticeType[] = ['timer', 'encryption'];

/** What a notice of its type records: the new default timer for `timer`; nothing for `encryption`. */
export interface ConversationNoticeData {
  expiresInSeconds?: number | null;
  expiryMode?: ExpiryMode;
}

/**
 * A change of a conversation's settings, kept so that both members see it in the history at its place
 * ("Alice set disappearing messages to 1 day"). Written in the transaction of the change. An erased
 * actor becomes null, as a conversation's erased member does; the notice goes with its conversation.
 */
@Entity('conversation_notices')
@Index('IDX_conversation_notices_conversation_created', ['conversationId', 'createdAt', 'id'])
@Check('CHK_conversation_notices_type', `"type" IN ('timer', 'encryption')`)
export class ConversationNotice {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'conversation_id', type: 'uuid' })
  conversationId: string;

  @ManyToOne(() => Conversation, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'conversation_id', foreignKeyConstraintName: 'FK_conversation_notices_conversation' })
  conversation?: Relation<Conversation>;

  @Index('IDX_conversation_notices_actor_id')
  @Column({ name: 'actor_id', type: 'uuid', nullable: true })
  actorId: string | null;

  @ManyToOne(() => User, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'actor_id', foreignKeyConstraintName: 'FK_conversation_notices_actor' })
  actor?: Relation<User>;

  @Column({ type: 'varchar', length: 16 })
  type: ConversationNoticeType;

  @Column({ type: 'jsonb' })
  data: ConversationNoticeData;

  /** The conversation's newest message seq when it happened: the notice shows after that message. */
  @Column({ name: 'after_seq', type: 'integer' })
  afterSeq: number;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
