import { Module } from '@nestjs/common';
import { RealtimeModule } from '../realtime/realtime.module.js';
import { UsersModule } from '../users/users.module.js';
import { BlocksController } from './blocks.controller.js';
import { BlocksService } from './blocks.service.js';
import { FriendsController } from './friends.controller.js';
import { FriendsRealtime } from './friends.realtime.js';
import { FriendsService } from './friends.service.js';
import { FriendsRepository } from './friends.repository.js';

@Module({
  imports: [UsersModule, RealtimeModule],
  controllers: [FriendsController, BlocksController],
  providers: [FriendsService, BlocksService, FriendsRepository, FriendsRealtime],
  exports: [FriendsService],
})
export class FriendsModule {}
