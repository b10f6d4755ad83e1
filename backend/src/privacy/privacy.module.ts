import { Module } from '@nestjs/common';
import { AttachmentsModule } from '../attachments/attachments.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { RealtimeModule } from '../realtime/realtime.module.js';
import { UsersModule } from '../users/users.module.js';
import { AuditService } from './audit.service.js';
import { ErasureService } from './erasure.service.js';
import { ExportService } from './export.service.js';
import { PrivacyController } from './privacy.controller.js';

/** Erasure, export and the audit trail: they reach into every other module's data, so they live apart. */
@Module({
  imports: [AuthModule, UsersModule, AttachmentsModule, RealtimeModule],
  controllers: [PrivacyController],
  providers: [ErasureService, ExportService, AuditService],
  exports: [ErasureService, AuditService],
})
export class PrivacyModule {}
