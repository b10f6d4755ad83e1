import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { User } from '../../users/user.entity.js';

/** A WebAuthn credential (passkey) a user registered: it signs them in alone, or as their second factor. */
@Entity('user_passkeys')
export class UserPasskey {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_user_passkeys' })
  id: string;

  @Index('IDX_user_passkeys_user_id')
  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_user_passkeys_user' })
  user?: Relation<User>;

  /** The authenticator's credential id (base64url): what an assertion names; unique on the server. */
  @Index('UQ_user_passkeys_credential_id', { unique: true })
  @Column({ name: 'credential_id', type: 'varchar', length: 1400 })
  credentialId: string;

  /** The COSE public key the assertions are checked with. */
  @Column({ name: 'public_key', type: 'bytea' })
  publicKey: Buffer;

  /** The highest signature counter seen; an assertion must go above it (unless both stay 0). */
  @Column({ name: 'counter', type: 'bigint', default: 0 })
  counter: string;

  /** How the browser reaches the authenticator ('internal', 'hybrid', 'usb' ...), as hints for later sign-ins. */
  @Column({ name: 'transports', type: 'varchar', length: 32, array: true, default: () => "'{}'" })
  transports: string[];

  /** The user's name for it ("Laptop fingerprint"). */
  @Column({ name: 'name', type: 'varchar', length: 64 })
  name: string;

  /** Whether the passkey is synced (multi-device) and backed up, as the authenticator said at registration. */
  @Column({ name: 'backed_up', type: 'boolean', default: false })
  backedUp: boolean;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt: Date | null;
}
