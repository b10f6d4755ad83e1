import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { ConversationsModule } from '../conversations/conversations.module.js';
import { RealtimeModule } from '../realtime/realtime.module.js';
import { PushController } from './push.controller.js';
import { PushHooks } from './push.hooks.js';
import { PushRepository } from './push.repository.js';
import { PushSender } from './push-sender.js';
import { PushService } from './push.service.js';

/** Web Push subscriptions and the content-free pushes sent to them (DESIGN.md §10). */
@Module({
  imports: [AuthModule, ConversationsModule, RealtimeModule],
  controllers: [PushController],
  providers: [PushService, PushRepository, PushSender, PushHooks],
  exports: [PushService],
})
export class PushModule {}
