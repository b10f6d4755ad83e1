import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { Session } from '../auth/session.entity.js';
import { User } from '../users/user.entity.js';

/** A to-device event waiting for its recipient device to sync (and acknowledge); opaque to the server. */
@Entity('e2ee_to_device_messages')
@Index('IDX_e2ee_to_device_messages_recipient', ['recipientSessionId', 'id'])
export class E2eeToDeviceMessage {
  @PrimaryGeneratedColumn('increment', { type: 'bigint', primaryKeyConstraintName: 'PK_e2ee_to_device_messages' })
  id: string;

  @Column({ name: 'recipient_session_id', type: 'uuid' })
  recipientSessionId: string;

  @ManyToOne(() => Session, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'recipient_session_id', foreignKeyConstraintName: 'FK_e2ee_to_device_messages_recipient' })
  recipient?: Relation<Session>;

  @Index('IDX_e2ee_to_device_messages_sender_user_id')
  @Column({ name: 'sender_user_id', type: 'uuid' })
  senderUserId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'sender_user_id', foreignKeyConstraintName: 'FK_e2ee_to_device_messages_sender' })
  sender?: Relation<User>;

  @Column({ name: 'event_type', type: 'varchar', length: 255 })
  eventType: string;

  /** The sync that last handed it out (its next_batch part); acknowledging that deletes it. Null until then. */
  @Column({ name: 'batch', type: 'bigint', nullable: true })
  batch: string | null;

  @Column({ name: 'content', type: 'jsonb' })
  content: object;

  @Index('IDX_e2ee_to_device_messages_created_at')
  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
