import { Module } from '@nestjs/common';
import { JobRunsRepository } from './job-runs.repository.js';
import { JobRunsService } from './job-runs.service.js';

@Module({
  providers: [JobRunsService, JobRunsRepository],
  exports: [JobRunsService],
})
export class JobsModule {}
