import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { Session } from '../auth/session.entity.js';
import { User } from '../users/user.entity.js';

/** The identity keys of one device (one sign-in session), as its OlmMachine signed them; never changed once stored. */
@Entity('e2ee_devices')
export class E2eeDevice {
  @PrimaryColumn({ name: 'session_id', type: 'uuid', primaryKeyConstraintName: 'PK_e2ee_devices' })
  sessionId: string;

  @ManyToOne(() => Session, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'session_id', foreignKeyConstraintName: 'FK_e2ee_devices_session' })
  session?: Relation<Session>;

  @Index('IDX_e2ee_devices_user_id')
  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_e2ee_devices_user' })
  user?: Relation<User>;

  /** The Matrix `device_keys` object (algorithms, keys, signatures), without `unsigned`. */
  @Column({ name: 'device_keys', type: 'jsonb' })
  deviceKeys: object;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
