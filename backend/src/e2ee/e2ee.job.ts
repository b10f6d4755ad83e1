import { Injectable } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { JobRunsService } from '../jobs/job-runs.service.js';
import { E2eeService } from './e2ee.service.js';

/** Deletes to-device messages nobody fetched within 7 days (E2eeService.deleteExpired). */
@Injectable()
export class E2eeCleanupJob {
  constructor(
    private readonly e2eeService: E2eeService,
    private readonly jobRuns: JobRunsService,
  ) {}

  @Cron(CronExpression.EVERY_HOUR)
  async run(): Promise<void> {
    await this.jobRuns
      .record('e2ee-cleanup', () => this.e2eeService.deleteExpired())
      // Recorded and logged by JobRunsService; the next hour tries again.
      .catch(() => undefined);
  }
}
