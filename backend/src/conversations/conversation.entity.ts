import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { User } from '../users/user.entity.js';

export type ExpiryMode = 'afterSend' | 'afterRead';
export const EXPIRY_MODES: ExpiryMode[] = ['afterSend', 'afterRead'];

/**
 * The one conversation of a pair of users, stored with the smaller id first so the pair is unique.
 * A member whose account is erased becomes null; the other keeps the conversation.
 */
@Entity('conversations')
@Index('UQ_conversations_pair', ['userAId', 'userBId'], { unique: true })
@Check('CHK_conversations_pair_order', `"user_a_id" < "user_b_id"`)
@Check('CHK_conversations_default_expiry_mode', `"default_expiry_mode" IN ('afterSend', 'afterRead')`)
export class Conversation {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'user_a_id', type: 'uuid', nullable: true })
  userAId: string | null;

  @ManyToOne(() => User, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'user_a_id', foreignKeyConstraintName: 'FK_conversations_user_a' })
  userA?: Relation<User>;

  @Index('IDX_conversations_user_b_id')
  @Column({ name: 'user_b_id', type: 'uuid', nullable: true })
  userBId: string | null;

  @ManyToOne(() => User, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'user_b_id', foreignKeyConstraintName: 'FK_conversations_user_b' })
  userB?: Relation<User>;

  /** Sequence number of the newest message; sending takes the next one under this row's lock. */
  @Column({ name: 'last_seq', type: 'integer', default: 0 })
  lastSeq: number;

  @Column({ name: 'last_activity_at', type: 'timestamptz' })
  lastActivityAt: Date;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'default_expires_in_seconds', type: 'integer', nullable: true })
  defaultExpiresInSeconds: number | null;

  @Column({ name: 'default_expiry_mode', type: 'varchar', length: 16, default: 'afterSend' })
  defaultExpiryMode: ExpiryMode;

  /**
   * End-to-end encrypted: messages carry Megolm ciphertext and attachments are opaque blobs. One-way:
   * once on, never off. Rows from before encryption existed are plaintext (the default).
   */
  @Column({ type: 'boolean', default: false })
  encrypted: boolean;
}
