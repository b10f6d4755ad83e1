import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * What happened, by whom, and how much, with no personal data of the person it happened to: an erasure
 * is recorded without the erased user's id, username, display name or any message content.
 */
@Entity('audit_events')
@Index('IDX_audit_events_created_at', ['createdAt', 'id'])
export class AuditEvent {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** e.g. `user.erased`. */
  @Column({ type: 'varchar', length: 64 })
  action: string;

  /** `self` (the user erased their own account), `admin`, or `system`. */
  @Column({ name: 'actor_kind', type: 'varchar', length: 16 })
  actorKind: 'self' | 'admin' | 'system';

  /** The admin who acted; null for `self` and `system`, and once that admin's own account is erased. */
  @Column({ name: 'actor_id', type: 'uuid', nullable: true })
  actorId: string | null;

  /** Counts and flags only. */
  @Column({ type: 'jsonb' })
  details: Record<string, number | boolean | string>;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
