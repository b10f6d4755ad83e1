import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { User } from '../users/user.entity.js';

/** One signed-in device: a family of rotating refresh tokens with an absolute expiry. */
@Entity('sessions')
export class Session {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index('IDX_sessions_user_id')
  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_sessions_user' })
  user?: Relation<User>;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Index('IDX_sessions_expires_at')
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'last_used_at', type: 'timestamptz' })
  lastUsedAt: Date;

  /** What the user sees in their list of sessions, read from the User-Agent at sign-in ("Firefox on Linux"). */
  @Column({ name: 'device_name', type: 'varchar', length: 100, default: '' })
  deviceName: string;

  /** The client address at sign-in, as the server sees it (TRUST_PROXY decides whether proxies are believed). */
  @Column({ name: 'ip', type: 'varchar', length: 64, nullable: true })
  ip: string | null;

  /**
   * When this session proved a second factor: at a two-step sign-in, or by turning TOTP on (the code and
   * the password). Null for a password-only session; cleared when the second factor is turned off.
   * REQUIRE_ADMIN_2FA lets only such sessions use the admin routes.
   */
  @Column({ name: 'mfa_at', type: 'timestamptz', nullable: true })
  mfaAt: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;
}
