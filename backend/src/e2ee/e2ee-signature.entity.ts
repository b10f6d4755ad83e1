import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { User } from '../users/user.entity.js';

/**
 * A signature uploaded after the key it signs: a device signed by its user's self-signing key, a
 * master key signed by one of its user's devices, or another user's master key signed by the
 * signer's user-signing key. Served merged into the signed key's `signatures`.
 */
@Entity('e2ee_signatures')
export class E2eeSignature {
  @PrimaryColumn({ name: 'target_user_id', type: 'uuid', primaryKeyConstraintName: 'PK_e2ee_signatures' })
  targetUserId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'target_user_id', foreignKeyConstraintName: 'FK_e2ee_signatures_target_user' })
  targetUser?: Relation<User>;

  /** The signed key's id: a device id, or the master key's public key. */
  @PrimaryColumn({ name: 'target_key_id', type: 'varchar', length: 255, primaryKeyConstraintName: 'PK_e2ee_signatures' })
  targetKeyId: string;

  @Index('IDX_e2ee_signatures_signer_user_id')
  @PrimaryColumn({ name: 'signer_user_id', type: 'uuid', primaryKeyConstraintName: 'PK_e2ee_signatures' })
  signerUserId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'signer_user_id', foreignKeyConstraintName: 'FK_e2ee_signatures_signer_user' })
  signerUser?: Relation<User>;

  /** `ed25519:<device id or public key>` */
  @PrimaryColumn({ name: 'signer_key_id', type: 'varchar', length: 255, primaryKeyConstraintName: 'PK_e2ee_signatures' })
  signerKeyId: string;

  @Column({ name: 'signature', type: 'varchar', length: 128 })
  signature: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
