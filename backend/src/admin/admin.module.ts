import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { JobsModule } from '../jobs/jobs.module.js';
import { PrivacyModule } from '../privacy/privacy.module.js';
import { UsersModule } from '../users/users.module.js';
import { AdminAccountsService } from './admin-accounts.service.js';
import { AdminBootstrapService } from './admin-bootstrap.service.js';
import { AdminUsersService } from './admin-users.service.js';
import { AdminController } from './admin.controller.js';

@Module({
  imports: [JobsModule, PrivacyModule, AuthModule, UsersModule],
  controllers: [AdminController],
  providers: [AdminUsersService, AdminAccountsService, AdminBootstrapService],
})
export class AdminModule {}
