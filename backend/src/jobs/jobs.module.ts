import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { JobRun } from './job-run.entity.js';
import { JobRunsService } from './job-runs.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([JobRun])],
  providers: [JobRunsService],
  exports: [JobRunsService],
})
export class JobsModule {}
