import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { JobsModule } from '../jobs/jobs.module.js';
import { RealtimeModule } from '../realtime/realtime.module.js';
import { E2eeController } from './e2ee.controller.js';
import { E2eeHooks } from './e2ee.hooks.js';
import { E2eeCleanupJob } from './e2ee.job.js';
import { E2eeRepository } from './e2ee.repository.js';
import { E2eeService } from './e2ee.service.js';

/** Devices, keys and to-device messages for end-to-end encryption (DESIGN.md §9). */
@Module({
  imports: [AuthModule, JobsModule, RealtimeModule],
  controllers: [E2eeController],
  providers: [E2eeService, E2eeRepository, E2eeHooks, E2eeCleanupJob],
  exports: [E2eeService],
})
export class E2eeModule {}
