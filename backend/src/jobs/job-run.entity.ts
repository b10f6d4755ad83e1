import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One run of a background job on one instance, as the admin jobs page shows it. */
@Entity('job_runs')
@Index('IDX_job_runs_started_at', ['startedAt', 'id'])
export class JobRun {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 64 })
  job: string;

  @Column({ name: 'started_at', type: 'timestamptz' })
  startedAt: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt: Date | null;

  @Column({ name: 'rows_affected', type: 'integer', default: 0 })
  rowsAffected: number;

  @Column({ type: 'text', nullable: true })
  error: string | null;
}
