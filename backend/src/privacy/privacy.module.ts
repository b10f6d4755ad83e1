import { PushModule } from '../push/push.module.js';
import { Module } from '@nestjs/common';
import { AttachmentsModule } from '../attachments/attachments.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { ConversationsModule } from '../conversations/conversations.module.js';
import { E2eeModule } from '../e2ee/e2ee.module.js';
import { FriendsModule } from '../friends/friends.module.js';
import { MessagesModule } from '../messages/messages.module.js';
import { RealtimeModule } from '../realtime/realtime.module.js';
import { UsersModule } from '../users/users.module.js';
import { AuditRepository } from './audit.repository.js';
import { AuditService } from './audit.service.js';
import { ErasureService } from './erasure.service.js';
import { ExportService } from './export.service.js';
import { PrivacyController } from './privacy.controller.js';

/** Erasure, export and the audit trail: each asks every other module's service for that module's part. */
@Module({
  imports: [AuthModule, UsersModule, AttachmentsModule, ConversationsModule, E2eeModule, FriendsModule, MessagesModule, PushModule, RealtimeModule],
  controllers: [PrivacyController],
  providers: [ErasureService, ExportService, AuditService, AuditRepository],
  exports: [ErasureService, AuditService],
})
export class PrivacyModule {}
