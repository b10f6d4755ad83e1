import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { runsScheduledJobs } from '../common/workers.js';
import { AppConfig } from '../config/app-config.js';
import { EXPIRY_JOB, ExpiryService } from './expiry.service.js';

/** Runs the expiry sweep every EXPIRY_SWEEP_INTERVAL_SECONDS; one run at a time per instance (in one of its workers). */
@Injectable()
export class ExpiryJob implements OnApplicationBootstrap {
  private readonly logger = new Logger(ExpiryJob.name);
  private running = false;

  constructor(
    private readonly expiryService: ExpiryService,
    private readonly scheduler: SchedulerRegistry,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    const seconds = this.config.EXPIRY_SWEEP_INTERVAL_SECONDS;
    if (seconds === 0 || !runsScheduledJobs()) return;
    this.scheduler.addInterval(EXPIRY_JOB, setInterval(() => void this.run(), seconds * 1000));
  }

  async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const deleted = await this.expiryService.sweep();
      if (deleted > 0) this.logger.log(`Deleted ${deleted} expired messages`);
    } catch {
      // Recorded in job_runs and logged by JobRunsService; the next tick tries again.
    } finally {
      this.running = false;
    }
  }
}
