import { Injectable } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { JobRunsService } from '../jobs/job-runs.service.js';
import { SessionLifecycleService } from './session-lifecycle.service.js';
import { TotpService } from './totp.service.js';

@Injectable()
export class SessionCleanupJob {
  constructor(
    private readonly lifecycle: SessionLifecycleService,
    private readonly jobRuns: JobRunsService,
    private readonly totpService: TotpService,
  ) {}

  @Cron(CronExpression.EVERY_HOUR)
  async run(): Promise<void> {
    await this.jobRuns
      .record('session-cleanup', async () => {
        const deleted = await this.lifecycle.deleteEndedSessions();
        return deleted.sessions + deleted.refreshTokens + (await this.totpService.deleteExpiredChallenges());
      })
      // Recorded and logged by JobRunsService; the next hour tries again.
      .catch(() => undefined);
  }
}
