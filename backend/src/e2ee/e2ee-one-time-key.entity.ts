import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { Session } from '../auth/session.entity.js';

/** An unclaimed signed one-time key of a device; a claim deletes it. */
@Entity('e2ee_one_time_keys')
export class E2eeOneTimeKey {
  @PrimaryColumn({ name: 'session_id', type: 'uuid', primaryKeyConstraintName: 'PK_e2ee_one_time_keys' })
  sessionId: string;

  @ManyToOne(() => Session, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'session_id', foreignKeyConstraintName: 'FK_e2ee_one_time_keys_session' })
  session?: Relation<Session>;

  /** `signed_curve25519:<id>` */
  @PrimaryColumn({ name: 'key_id', type: 'varchar', length: 100, primaryKeyConstraintName: 'PK_e2ee_one_time_keys' })
  keyId: string;

  /** `{ key, signatures }` */
  @Column({ name: 'key', type: 'jsonb' })
  key: object;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
