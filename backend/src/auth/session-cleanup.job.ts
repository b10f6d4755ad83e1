import { Injectable } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { JobRunsService } from '../jobs/job-runs.service.js';
import { AuthService } from './auth.service.js';

@Injectable()
export class SessionCleanupJob {
  constructor(
    private readonly authService: AuthService,
    private readonly jobRuns: JobRunsService,
  ) {}

  @Cron(CronExpression.EVERY_HOUR)
  async run(): Promise<void> {
    await this.jobRuns
      .record('session-cleanup', async () => {
        const deleted = await this.authService.deleteEndedSessions();
        return deleted.sessions + deleted.refreshTokens;
      })
      // Recorded and logged by JobRunsService; the next hour tries again.
      .catch(() => undefined);
  }
}
