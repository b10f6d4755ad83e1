import { Injectable, Logger } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { AuthService } from './auth.service.js';

@Injectable()
export class SessionCleanupJob {
  private readonly logger = new Logger(SessionCleanupJob.name);

  constructor(private readonly authService: AuthService) {}

  @Cron(CronExpression.EVERY_HOUR)
  async run(): Promise<void> {
    const deleted = await this.authService.deleteEndedSessions();
    this.logger.log(`Deleted ${deleted.sessions} ended sessions and ${deleted.refreshTokens} old refresh tokens`);
  }
}
