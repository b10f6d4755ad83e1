import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { User } from '../users/user.entity.js';
import { Conversation } from './conversation.entity.js';

/** A user's own state in a conversation: how far they have read. */
@Entity('conversation_members')
@Index('IDX_conversation_members_user_id', ['userId'])
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
}
