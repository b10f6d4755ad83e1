import { Injectable, type OnModuleInit } from '@nestjs/common';
import { RealtimeService } from '../realtime/realtime.service.js';
import { FriendsService } from './friends.service.js';

/** Lets the socket gateway check `typing` against blocks and tell friends about presence without importing FriendsService. */
@Injectable()
export class FriendsRealtime implements OnModuleInit {
  constructor(
    private readonly friends: FriendsService,
    private readonly realtime: RealtimeService,
  ) {}

  onModuleInit(): void {
    this.realtime.setFriendsFn(
      (userId, otherId) => this.friends.relationship(userId, otherId),
      (userId) => this.friends.presenceAudience(userId),
    );
  }
}
