import { Module } from '@nestjs/common';
import { JobsModule } from '../jobs/jobs.module.js';
import { AdminController } from './admin.controller.js';

@Module({ imports: [JobsModule], controllers: [AdminController] })
export class AdminModule {}
