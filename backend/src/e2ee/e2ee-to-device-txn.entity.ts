import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { Session } from '../auth/session.entity.js';

/** A sendToDevice transaction id a device used: a retry with it queues nothing again. Kept as long as the messages. */
@Entity('e2ee_to_device_txns')
export class E2eeToDeviceTxn {
  @PrimaryColumn({ name: 'session_id', type: 'uuid', primaryKeyConstraintName: 'PK_e2ee_to_device_txns' })
  sessionId: string;

  @ManyToOne(() => Session, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'session_id', foreignKeyConstraintName: 'FK_e2ee_to_device_txns_session' })
  session?: Relation<Session>;

  @PrimaryColumn({ name: 'txn_id', type: 'varchar', length: 255, primaryKeyConstraintName: 'PK_e2ee_to_device_txns' })
  txnId: string;

  @Index('IDX_e2ee_to_device_txns_created_at')
  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
