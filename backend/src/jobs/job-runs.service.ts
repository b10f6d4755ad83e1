import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThan, type Repository } from 'typeorm';
import { Clock } from '../common/clock.js';
import { decodeCursor, toPage } from '../common/pagination.js';
import { JobRunPageDto, toJobRunDto } from './dto/job-run.dto.js';
import { JobRun } from './job-run.entity.js';

const RETENTION_MS = 7 * 86_400_000;

@Injectable()
export class JobRunsService {
  private readonly logger = new Logger(JobRunsService.name);

  constructor(
    @InjectRepository(JobRun) private readonly runs: Repository<JobRun>,
    private readonly clock: Clock,
  ) {}

  /** Runs `work` and records the run; `work` returns how many rows it affected. Failures are recorded and rethrown. */
  async record(job: string, work: () => Promise<number>): Promise<number> {
    const run = await this.runs.save(this.runs.create({ job, startedAt: this.clock.now(), finishedAt: null, rowsAffected: 0, error: null }));
    try {
      const rowsAffected = await work();
      await this.runs.update({ id: run.id }, { finishedAt: this.clock.now(), rowsAffected });
      return rowsAffected;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.logger.error(`${job} failed: ${message}`);
      await this.runs.update({ id: run.id }, { finishedAt: this.clock.now(), error: message.slice(0, 1000) });
      throw error;
    } finally {
      // Housekeeping must not replace the job's own outcome.
      await this.runs
        .delete({ startedAt: LessThan(new Date(this.clock.now().getTime() - RETENTION_MS)) })
        .catch((error: unknown) => this.logger.warn(`Could not prune old job runs: ${String(error)}`));
    }
  }

  async list(limit: number, cursor?: string): Promise<JobRunPageDto> {
    const after = cursor ? decodeCursor<{ t: string; id: string }>(cursor, { t: 'timestamp', id: 'uuid' }) : null;
    const query = this.runs.createQueryBuilder('r').orderBy('r.started_at', 'DESC').addOrderBy('r.id', 'DESC').limit(limit + 1);
    if (after) query.where('(r.started_at, r.id) < (:t::timestamptz, :id::uuid)', after);
    return toPage(await query.getMany(), limit, toJobRunDto, (run) => ({ t: run.startedAt.toISOString(), id: run.id }));
  }
}
