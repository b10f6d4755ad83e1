import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { Role } from '../common/current-user.decorator.js';

@Entity('users')
@Check('CHK_users_role', `"role" IN ('user', 'admin')`)
@Check('CHK_users_username', `"username"::text ~ '^[a-z0-9_.]{3,32}$'`)
// Trigram indexes for search are expressions TypeORM cannot describe; they live in the migration.
@Index('IDX_users_username_trgm', { synchronize: false })
@Index('IDX_users_display_name_trgm', { synchronize: false })
export class User {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index('UQ_users_username', { unique: true })
  @Column({ type: 'citext' })
  username: string;

  @Column({ name: 'display_name', type: 'varchar', length: 64 })
  displayName: string;

  @Column({ name: 'status_message', type: 'varchar', length: 140, default: '' })
  statusMessage: string;

  @Column({ name: 'password_hash', type: 'text' })
  passwordHash: string;

  /**
   * The profile picture, null for none: its files are stored under `originals/<id>` (256 px) and
   * `thumbnails/<id>` (64 px); a new picture gets a new id, so the id is also its version in URLs.
   */
  @Column({ name: 'avatar_id', type: 'uuid', nullable: true })
  avatarId: string | null;

  @Column({ type: 'varchar', length: 16, default: 'user' })
  role: Role;

  /** Bumped to invalidate every access token the user holds (password change, erasure). */
  @Column({ name: 'token_version', type: 'integer', default: 0 })
  tokenVersion: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
