import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { User } from '../users/user.entity.js';

/** One key backup of a user (Matrix `room_keys/version`); the newest is the current one. */
@Entity('e2ee_backup_versions')
export class E2eeBackupVersion {
  @PrimaryGeneratedColumn('increment', { name: 'version', type: 'bigint', primaryKeyConstraintName: 'PK_e2ee_backup_versions' })
  version: string;

  @Index('IDX_e2ee_backup_versions_user_id')
  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'FK_e2ee_backup_versions_user' })
  user?: Relation<User>;

  /** `m.megolm_backup.v1.curve25519-aes-sha2` */
  @Column({ name: 'algorithm', type: 'varchar', length: 64 })
  algorithm: string;

  /** `{ public_key, signatures }`: the backup's public key; the private one never reaches the server. */
  @Column({ name: 'auth_data', type: 'jsonb' })
  authData: object;

  /** Bumped by every change to the keys, so clients can tell the backup moved on. */
  @Column({ name: 'etag', type: 'bigint', default: 0 })
  etag: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
