import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { Session } from '../auth/session.entity.js';

/** A device's fallback key: handed out when its one-time keys run out; an upload replaces it. */
@Entity('e2ee_fallback_keys')
export class E2eeFallbackKey {
  @PrimaryColumn({ name: 'session_id', type: 'uuid', primaryKeyConstraintName: 'PK_e2ee_fallback_keys' })
  sessionId: string;

  @ManyToOne(() => Session, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'session_id', foreignKeyConstraintName: 'FK_e2ee_fallback_keys_session' })
  session?: Relation<Session>;

  /** `signed_curve25519:<id>` */
  @Column({ name: 'key_id', type: 'varchar', length: 100 })
  keyId: string;

  /** `{ key, fallback: true, signatures }` */
  @Column({ name: 'key', type: 'jsonb' })
  key: object;

  /** Claimed at least once since it was uploaded (sync reports only unused fallback keys). */
  @Column({ name: 'used', type: 'boolean', default: false })
  used: boolean;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
