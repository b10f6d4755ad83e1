import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { Session } from '../auth/session.entity.js';

export type DeviceListChangeKind = 'changed' | 'left';

/**
 * "The devices of `userId` changed" (or "`userId` is gone": `left`, after an erasure), waiting for one
 * recipient device to sync. One row per (recipient, user): a newer change takes a new id, so an
 * acknowledgement of the older one cannot delete it. `user_id` has no foreign key: a `left` outlives the user.
 */
@Entity('e2ee_device_list_changes')
@Index('UQ_e2ee_device_list_changes_recipient_user', ['recipientSessionId', 'userId'], { unique: true })
@Check('CHK_e2ee_device_list_changes_kind', `"kind" IN ('changed', 'left')`)
export class E2eeDeviceListChange {
  @PrimaryGeneratedColumn('increment', { type: 'bigint', primaryKeyConstraintName: 'PK_e2ee_device_list_changes' })
  id: string;

  @Column({ name: 'recipient_session_id', type: 'uuid' })
  recipientSessionId: string;

  @ManyToOne(() => Session, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'recipient_session_id', foreignKeyConstraintName: 'FK_e2ee_device_list_changes_recipient' })
  recipient?: Relation<Session>;

  @Index('IDX_e2ee_device_list_changes_user_id')
  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  /** The sync that last handed it out (its next_batch part); acknowledging that deletes it. Null until then. */
  @Column({ name: 'batch', type: 'bigint', nullable: true })
  batch: string | null;

  @Column({ name: 'kind', type: 'varchar', length: 8 })
  kind: DeviceListChangeKind;

  @Index('IDX_e2ee_device_list_changes_created_at')
  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
