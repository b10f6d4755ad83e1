import { Injectable, type OnModuleInit } from '@nestjs/common';
import { RealtimeService } from '../realtime/realtime.service.js';
import { ConversationsService } from './conversations.service.js';

/** Lets the socket gateway find who a `typing` goes to without importing ConversationsService. */
@Injectable()
export class ConversationsRealtime implements OnModuleInit {
  constructor(
    private readonly conversations: ConversationsService,
    private readonly realtime: RealtimeService,
  ) {}

  onModuleInit(): void {
    this.realtime.setPeerFn(async (userId, conversationId) => (await this.conversations.getMembership(userId, conversationId)).peerId);
  }
}
