import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * Stored files waiting to be removed. Rows are written by the `attachments` delete trigger in the same
 * transaction as the delete, and removed once the file is gone; a failed removal stays for the next sweep.
 */
@Entity('storage_deletions')
@Index('IDX_storage_deletions_next_attempt', ['nextAttemptAt'])
export class StorageDeletion {
  @PrimaryColumn({ name: 'storage_key', type: 'varchar', length: 64 })
  storageKey: string;

  @Column({ name: 'queued_at', type: 'timestamptz', default: () => 'now()' })
  queuedAt: Date;

  /** Null: try at once. Set after a failed attempt, backing off. */
  @Column({ name: 'next_attempt_at', type: 'timestamptz', nullable: true })
  nextAttemptAt: Date | null;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;
}
