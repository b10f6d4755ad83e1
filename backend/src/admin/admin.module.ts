import { Module } from '@nestjs/common';
import { JobsModule } from '../jobs/jobs.module.js';
import { PrivacyModule } from '../privacy/privacy.module.js';
import { AdminUsersService } from './admin-users.service.js';
import { AdminController } from './admin.controller.js';

@Module({ imports: [JobsModule, PrivacyModule], controllers: [AdminController], providers: [AdminUsersService] })
export class AdminModule {}
