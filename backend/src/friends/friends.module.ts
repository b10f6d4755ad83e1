import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module.js';
import { BlocksController } from './blocks.controller.js';
import { BlocksService } from './blocks.service.js';
import { FriendsController } from './friends.controller.js';
import { FriendsService } from './friends.service.js';

@Module({
  imports: [UsersModule],
  controllers: [FriendsController, BlocksController],
  providers: [FriendsService, BlocksService],
  exports: [FriendsService],
})
export class FriendsModule {}
