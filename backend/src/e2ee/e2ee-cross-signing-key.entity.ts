import { Check, Column, Entity, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { User } from '../users/user.entity.js';

export type CrossSigningUsage = 'master' | 'self_signing' | 'user_signing';

/** A user's public cross-signing keys (Matrix `CrossSigningKey`), one per usage; a reset replaces all three. */
@Entity('e2ee_cross_signing_keys')
@Check('CHK_e2ee_cross_signing_keys_usage', `"usage" IN ('master', 'self_signing', 'user_signing')`)
export class E2eeCrossSigningKey {
  @PrimaryColumn({ name: 'user_id', type: 'uuid', primaryKeyConstraintName: 'PK_e2ee_cross_signing_keys' })
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_e2ee_cross_signing_keys_user' })
  user?: Relation<User>;

  @PrimaryColumn({ name: 'usage', type: 'varchar', length: 16, primaryKeyConstraintName: 'PK_e2ee_cross_signing_keys' })
  usage: CrossSigningUsage;

  /** `{ user_id, usage, keys: { "ed25519:<pub>": <pub> }, signatures }` as uploaded, signatures checked. */
  @Column({ name: 'key', type: 'jsonb' })
  key: object;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
