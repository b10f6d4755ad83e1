import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { User } from '../../users/user.entity.js';

export type PasskeyCeremony = 'register' | 'login' | 'mfa';

/**
 * A WebAuthn challenge the server handed out: short-lived and single use. In the database, like the
 * `mfaToken`s, so whichever instance gets the answer finds it; a spent one is kept (used_at) until it
 * expires, so that a replayed assertion is told apart from a made-up challenge.
 */
@Entity('passkey_challenges')
export class PasskeyChallenge {
  /** base64url, as it comes back in the client data. */
  @PrimaryColumn({ name: 'challenge', type: 'varchar', length: 64, primaryKeyConstraintName: 'PK_passkey_challenges' })
  challenge: string;

  @Column({ name: 'ceremony', type: 'varchar', length: 16 })
  ceremony: PasskeyCeremony;

  /** Whose registration or second step it is; null for a sign-in with a passkey alone (nobody is known yet). */
  @Index('IDX_passkey_challenges_user_id')
  @Column({ name: 'user_id', type: 'uuid', nullable: true })
  userId: string | null;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_passkey_challenges_user' })
  user?: Relation<User>;

  @Index('IDX_passkey_challenges_expires_at')
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt: Date | null;
}
