import { BadRequestException } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { AppConfig, loadConfig } from '../config/app-config.js';
import { Transactions } from '../database/transaction.js';
import { FriendsService } from '../friends/friends.service.js';
import { RealtimeService } from '../realtime/realtime.service.js';
import { UsersService } from '../users/users.service.js';
import { Conversation } from './conversation.entity.js';
import { ConversationMember } from './conversation-member.entity.js';
import { type ConversationRow, ConversationsRepository } from './conversations.repository.js';
import { ConversationsService } from './conversations.service.js';
import { FakeClock } from '../../test/helpers/fake-clock.js';
import { fakeTransactions, newTestService } from '../../test/helpers/new-test-service.js';
import { rejection } from '../../test/helpers/rejection.js';

const START = new Date('2030-01-01T00:00:00Z');
const ALICE = 'aaaaaaaa-0000-4000-8000-000000000001';
const BOB = 'bbbbbbbb-0000-4000-8000-000000000002';
const CONVERSATION = 'cccccccc-0000-4000-8000-000000000003';

const aConversation = (encrypted: boolean) =>
  Object.assign(new Conversation(), {
    id: CONVERSATION,
    userAId: ALICE,
    userBId: BOB,
    lastSeq: 0,
    lastActivityAt: START,
    createdAt: START,
    defaultExpiresInSeconds: null,
    defaultExpiryMode: 'afterSend',
    encrypted,
  });

function newConversationsService(env: Record<string, string> = {}) {
  const transactions = fakeTransactions();
  const built = newTestService(ConversationsService, [
    [Clock, new FakeClock(START)],
    [Transactions, transactions],
    [AppConfig, loadConfig(env)],
  ]);
  const conversations = built.mock(ConversationsRepository);
  const state = { encrypted: false };
  conversations.findByPair.mockResolvedValue(null);
  conversations.create.mockResolvedValue(CONVERSATION);
  conversations.findMember.mockImplementation(async () =>
    Object.assign(new ConversationMember(), { conversationId: CONVERSATION, userId: ALICE, lastReadSeq: 0, conversation: aConversation(state.encrypted) }),
  );
  conversations.one.mockImplementation(
    async (): Promise<ConversationRow> => ({
      id: CONVERSATION,
      last_activity_at: START,
      default_expires_in_seconds: null,
      default_expiry_mode: 'afterSend',
      encrypted: state.encrypted,
      peer_id: BOB,
      peer_username: 'bob',
      peer_display_name: 'Bob',
      last_message: null,
      last_message_attachments: null,
      unread_count: 0,
      peer_last_read_seq: 0,
    }),
  );
  conversations.enableEncryption.mockImplementation(async () => {
    const changed = !state.encrypted;
    state.encrypted = true;
    return changed;
  });
  const friendsService = built.mock(FriendsService);
  friendsService.writeRefusal.mockResolvedValue(null);
  friendsService.relationship.mockResolvedValue({ friends: true, blockedByMe: false, blockedMe: false });
  built.mock(UsersService).getVisibleById.mockResolvedValue(undefined as never);
  return { sut: built.sut, state, conversations, friendsService, realtime: built.mock(RealtimeService) };
}

describe('ConversationsService encryption', () => {
  describe('getOrCreate', () => {
    it.each([
      ['E2EE_DEFAULT decides when the client does not say (on by default)', {}, undefined, true],
      ['E2EE_DEFAULT=false makes it plaintext when the client does not say', { E2EE_DEFAULT: 'false' }, undefined, false],
      ['the client asking for encryption overrides E2EE_DEFAULT=false', { E2EE_DEFAULT: 'false' }, true, true],
      ['the client asking for plaintext overrides E2EE_DEFAULT', {}, false, false],
    ])('a new conversation: %s', async (_name, env, encrypted, expected) => {
      const { sut, conversations } = newConversationsService(env);

      await sut.getOrCreate(ALICE, BOB, { encrypted });

      expect(conversations.create).toHaveBeenCalledWith(expect.anything(), ALICE, BOB, START, expected);
    });

    it('turns encryption on for an existing plaintext conversation asked for it, and tells both members', async () => {
      const { sut, state, conversations, realtime } = newConversationsService();
      conversations.findByPair.mockResolvedValue(aConversation(false));

      const { conversation, created } = await sut.getOrCreate(ALICE, BOB, { encrypted: true });

      expect(created).toBe(false);
      expect(conversation.encrypted).toBe(true);
      expect(state.encrypted).toBe(true);
      expect(realtime.conversationUpdated).toHaveBeenCalledWith([ALICE, BOB], expect.objectContaining({ conversationId: CONVERSATION, encrypted: true }));
    });

    it('leaves an existing conversation as it is under a block, or when asked for plaintext', async () => {
      const { sut, state, conversations, friendsService, realtime } = newConversationsService();
      conversations.findByPair.mockResolvedValue(aConversation(false));
      friendsService.relationship.mockResolvedValue({ friends: false, blockedByMe: false, blockedMe: true });

      expect((await sut.getOrCreate(ALICE, BOB, { encrypted: true })).conversation.encrypted).toBe(false);
      state.encrypted = true;
      conversations.findByPair.mockResolvedValue(aConversation(true));
      expect((await sut.getOrCreate(ALICE, BOB, { encrypted: false })).conversation.encrypted).toBe(true);

      expect(conversations.enableEncryption).not.toHaveBeenCalled();
      expect(realtime.conversationUpdated).not.toHaveBeenCalled();
    });
  });

  describe('update', () => {
    it('turns encryption on and announces it once', async () => {
      const { sut, realtime } = newConversationsService();

      expect((await sut.update(ALICE, CONVERSATION, { encrypted: true })).encrypted).toBe(true);
      await sut.update(ALICE, CONVERSATION, { encrypted: true });

      expect(realtime.conversationUpdated).toHaveBeenCalledTimes(1);
    });

    it('refuses to turn it off with ENCRYPTION_IRREVERSIBLE, applying nothing else of the request', async () => {
      const { sut, state, conversations, realtime } = newConversationsService();
      state.encrypted = true;

      const error = await rejection(sut.update(ALICE, CONVERSATION, { encrypted: false, defaultExpiresInSeconds: 60 }));

      expect(error).toBeInstanceOf(BadRequestException);
      expect(error.getResponse()).toMatchObject({ code: 'ENCRYPTION_IRREVERSIBLE' });
      expect(conversations.update).not.toHaveBeenCalled();
      expect(realtime.conversationUpdated).not.toHaveBeenCalled();
    });

    it('takes encrypted: false for a plaintext conversation as no change', async () => {
      const { sut, conversations, realtime } = newConversationsService();

      expect((await sut.update(ALICE, CONVERSATION, { encrypted: false })).encrypted).toBe(false);
      expect(conversations.enableEncryption).not.toHaveBeenCalled();
      expect(realtime.conversationUpdated).not.toHaveBeenCalled();
    });
  });
});
