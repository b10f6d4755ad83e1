import { Module } from '@nestjs/common';
import { AttachmentsModule } from '../attachments/attachments.module.js';
import { ConversationsModule } from '../conversations/conversations.module.js';
import { JobsModule } from '../jobs/jobs.module.js';
import { PushModule } from '../push/push.module.js';
import { RealtimeModule } from '../realtime/realtime.module.js';
import { ExpiryJob } from './expiry.job.js';
import { ExpiryService } from './expiry.service.js';
import { MessagesController } from './messages.controller.js';
import { MessagesRealtime } from './messages.realtime.js';
import { MessagesRepository } from './messages.repository.js';
import { MessagesService } from './messages.service.js';

@Module({
  imports: [ConversationsModule, AttachmentsModule, JobsModule, RealtimeModule, PushModule],
  controllers: [MessagesController],
  providers: [MessagesService, MessagesRealtime, MessagesRepository, ExpiryService, ExpiryJob],
  exports: [MessagesService, ExpiryService],
})
export class MessagesModule {}
