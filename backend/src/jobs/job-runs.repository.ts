import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, LessThan } from 'typeorm';
import { JobRun } from './job-run.entity.js';

@Injectable()
export class JobRunsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async start(job: string, startedAt: Date): Promise<string> {
    const runs = this.dataSource.getRepository(JobRun);
    return (await runs.save(runs.create({ job, startedAt, finishedAt: null, rowsAffected: 0, error: null }))).id;
  }

  async finish(id: string, outcome: { finishedAt: Date; rowsAffected?: number; error?: string }): Promise<void> {
    await this.dataSource.getRepository(JobRun).update({ id }, outcome);
  }

  async deleteStartedBefore(before: Date): Promise<void> {
    await this.dataSource.getRepository(JobRun).delete({ startedAt: LessThan(before) });
  }

  /** Newest first, before the (started_at, id) cursor. */
  list(after: { t: string; id: string } | null, limit: number): Promise<JobRun[]> {
    const query = this.dataSource.getRepository(JobRun).createQueryBuilder('r').orderBy('r.started_at', 'DESC').addOrderBy('r.id', 'DESC').limit(limit);
    if (after) query.where('(r.started_at, r.id) < (:t::timestamptz, :id::uuid)', after);
    return query.getMany();
  }
}
