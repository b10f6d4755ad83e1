import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { User } from '../users/user.entity.js';

/**
 * A password sign-in waiting for its second factor: the `mfaToken` (stored as its SHA-256), short-lived
 * and single use. In the database, so whichever instance gets the second step finds it.
 */
@Entity('login_challenges')
export class LoginChallenge {
  @PrimaryColumn({ name: 'token_hash', type: 'bytea', primaryKeyConstraintName: 'PK_login_challenges' })
  tokenHash: Buffer;

  @Index('IDX_login_challenges_user_id')
  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_login_challenges_user' })
  user?: Relation<User>;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  /** Wrong codes tried with this token; at the limit the token is gone. */
  @Column({ name: 'attempts', type: 'int', default: 0 })
  attempts: number;

  /** Where the sign-in comes from, for the session it will start. */
  @Column({ name: 'device_name', type: 'varchar', length: 100 })
  deviceName: string;

  @Column({ name: 'ip', type: 'varchar', length: 64, nullable: true })
  ip: string | null;
}
