import { Module } from '@nestjs/common';
import { FriendsModule } from '../friends/friends.module.js';
import { RealtimeModule } from '../realtime/realtime.module.js';
import { UsersModule } from '../users/users.module.js';
import { ConversationsController } from './conversations.controller.js';
import { ConversationsRealtime } from './conversations.realtime.js';
import { ConversationNoticesRepository } from './conversation-notices.repository.js';
import { ConversationsRepository } from './conversations.repository.js';
import { ConversationsService } from './conversations.service.js';

@Module({
  imports: [UsersModule, FriendsModule, RealtimeModule],
  controllers: [ConversationsController],
  providers: [ConversationsService, ConversationsRepository, ConversationNoticesRepository, ConversationsRealtime],
  exports: [ConversationsService],
})
export class ConversationsModule {}
