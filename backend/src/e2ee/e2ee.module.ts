import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { JobsModule } from '../jobs/jobs.module.js';
import { RealtimeModule } from '../realtime/realtime.module.js';
import { UsersModule } from '../users/users.module.js';
import { CrossSigningController } from './cross-signing.controller.js';
import { CrossSigningRepository } from './cross-signing.repository.js';
import { CrossSigningService } from './cross-signing.service.js';
import { E2eeController } from './e2ee.controller.js';
import { E2eeHooks } from './e2ee.hooks.js';
import { E2eeCleanupJob } from './e2ee.job.js';
import { E2eeRepository } from './e2ee.repository.js';
import { E2eeService } from './e2ee.service.js';
import { KeyBackupController } from './key-backup.controller.js';
import { KeyBackupRepository } from './key-backup.repository.js';
import { KeyBackupService } from './key-backup.service.js';

/** Devices, keys, to-device messages, cross-signing and key backups for end-to-end encryption (DESIGN.md §9). */
@Module({
  imports: [AuthModule, JobsModule, RealtimeModule, UsersModule],
  controllers: [E2eeController, CrossSigningController, KeyBackupController],
  providers: [E2eeService, E2eeRepository, E2eeHooks, E2eeCleanupJob, CrossSigningService, CrossSigningRepository, KeyBackupService, KeyBackupRepository],
  exports: [E2eeService, CrossSigningService, KeyBackupService],
})
export class E2eeModule {}
