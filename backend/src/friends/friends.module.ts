import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module.js';
import { BlocksController } from './blocks.controller.js';
import { BlocksService } from './blocks.service.js';
import { FriendsController } from './friends.controller.js';
import { FriendsService } from './friends.service.js';
import { FriendsRepository } from './friends.repository.js';

@Module({
  imports: [UsersModule],
  controllers: [FriendsController, BlocksController],
  providers: [FriendsService, BlocksService, FriendsRepository],
  exports: [FriendsService],
})
export class FriendsModule {}
