import { jest } from '@jest/globals';
import type { RealtimeService } from '../../src/realtime/realtime.service.js';

/** A RealtimeService stand-in for unit specs that records what would have been sent. */
export function fakeRealtime() {
  return {
    messageCreated: jest.fn<RealtimeService['messageCreated']>(),
    messageUpdated: jest.fn<RealtimeService['messageUpdated']>(),
    messageDeleted: jest.fn<RealtimeService['messageDeleted']>(),
    messagesExpired: jest.fn<RealtimeService['messagesExpired']>(),
    conversationRead: jest.fn<RealtimeService['conversationRead']>(),
    friendRequest: jest.fn<RealtimeService['friendRequest']>(),
    friendAccepted: jest.fn<RealtimeService['friendAccepted']>(async () => undefined),
    endSessions: jest.fn<RealtimeService['endSessions']>(),
    endUserSessions: jest.fn<RealtimeService['endUserSessions']>(),
    e2eeSync: jest.fn<RealtimeService['e2eeSync']>(),
    sessionStarted: jest.fn<RealtimeService['sessionStarted']>(),
    friendRemoved: jest.fn<RealtimeService['friendRemoved']>(),
    friendRequestRemoved: jest.fn<RealtimeService['friendRequestRemoved']>(),
    blockChanged: jest.fn<RealtimeService['blockChanged']>(),
    userUpdated: jest.fn<RealtimeService['userUpdated']>(),
    userErased: jest.fn<RealtimeService['userErased']>(),
  };
}

export type FakeRealtime = ReturnType<typeof fakeRealtime>;

export const asRealtime = (fake: FakeRealtime) => fake as unknown as RealtimeService;
