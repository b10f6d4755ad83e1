import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { decodeCursor, toPage } from '../common/pagination.js';
import { JobRunPageDto, toJobRunDto } from './dto/job-run.dto.js';
import { JobRunsRepository } from './job-runs.repository.js';

const RETENTION_MS = 7 * 86_400_000;

@Injectable()
export class JobRunsService {
  private readonly logger = new Logger(JobRunsService.name);

  constructor(
    private readonly runs: JobRunsRepository,
    private readonly clock: Clock,
  ) {}

  /** Runs `work` and records the run; `work` returns how many rows it affected. Failures are recorded and rethrown. */
  async record(job: string, work: () => Promise<number>): Promise<number> {
    const id = await this.runs.start(job, this.clock.now());
    try {
      const rowsAffected = await work();
      await this.runs.finish(id, { finishedAt: this.clock.now(), rowsAffected });
      return rowsAffected;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.logger.error(`${job} failed: ${message}`);
      await this.runs.finish(id, { finishedAt: this.clock.now(), error: message.slice(0, 1000) });
      throw error;
    } finally {
      // Housekeeping must not replace the job's own outcome.
      await this.runs
        .deleteStartedBefore(new Date(this.clock.now().getTime() - RETENTION_MS))
        .catch((error: unknown) => this.logger.warn(`Could not prune old job runs: ${String(error)}`));
    }
  }

  async list(limit: number, cursor?: string): Promise<JobRunPageDto> {
    const after = cursor ? decodeCursor<{ t: string; id: string }>(cursor, { t: 'timestamp', id: 'uuid' }) : null;
    return toPage(await this.runs.list(after, limit + 1), limit, toJobRunDto, (run) => ({ t: run.startedAt.toISOString(), id: run.id }));
  }
}
