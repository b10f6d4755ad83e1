import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { E2eeBackupVersion } from './e2ee-backup-version.entity.js';

/** One backed-up Megolm session: `session_data` is encrypted to the backup's public key and opaque here. */
@Entity('e2ee_backup_keys')
export class E2eeBackupKey {
  @PrimaryColumn({ name: 'version', type: 'bigint', primaryKeyConstraintName: 'PK_e2ee_backup_keys' })
  version: string;

  @ManyToOne(() => E2eeBackupVersion, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'version', foreignKeyConstraintName: 'FK_e2ee_backup_keys_version' })
  backupVersion?: Relation<E2eeBackupVersion>;

  /** `!<conversation uuid>:iris` */
  @PrimaryColumn({ name: 'room_id', type: 'varchar', length: 255, primaryKeyConstraintName: 'PK_e2ee_backup_keys' })
  roomId: string;

  @PrimaryColumn({ name: 'session_id', type: 'varchar', length: 255, primaryKeyConstraintName: 'PK_e2ee_backup_keys' })
  sessionId: string;

  @Column({ name: 'first_message_index', type: 'int' })
  firstMessageIndex: number;

  @Column({ name: 'forwarded_count', type: 'int' })
  forwardedCount: number;

  @Column({ name: 'is_verified', type: 'boolean' })
  isVerified: boolean;

  /** `{ ephemeral, ciphertext, mac }` (curve25519-aes-sha2) */
  @Column({ name: 'session_data', type: 'jsonb' })
  sessionData: object;
}
