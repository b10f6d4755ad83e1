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
import { ConversationNoticesRepository } from './conversation-notices.repository.js';
import type { ExpiryMode } from './conversation.entity.js';
import { ConversationsService, settingNotices } from './conversations.service.js';
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
  const state = { encrypted: false, defaultExpiresInSeconds: null as number | null, defaultExpiryMode: 'afterSend' as ExpiryMode };
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
      peer_avatar_id: null,
      blocked_by_me: false,
      friends: true,
      last_message: null,
      last_message_attachments: null,
      unread_count: 0,
      muted: false,
      peer_last_read_seq: 0,
    }),
  );
  conversations.lockSettings.mockImplementation(async () => ({
    defaultExpiresInSeconds: state.defaultExpiresInSeconds,
    defaultExpiryMode: state.defaultExpiryMode,
    encrypted: state.encrypted,
    lastSeq: 7,
  }));
  conversations.writeSettings.mockImplementation(async (_tx, _id, settings) => {
    Object.assign(state, settings);
  });
  const notices = built.mock(ConversationNoticesRepository);
  const friendsService = built.mock(FriendsService);
  friendsService.writeRefusal.mockResolvedValue(null);
  friendsService.relationship.mockResolvedValue({ friends: true, blockedByMe: false, blockedMe: false });
  built.mock(UsersService).getVisibleById.mockResolvedValue(undefined as never);
  return { sut: built.sut, state, conversations, notices, friendsService, realtime: built.mock(RealtimeService) };
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

      expect(conversations.writeSettings).not.toHaveBeenCalled();
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
      expect(conversations.writeSettings).not.toHaveBeenCalled();
      expect(realtime.conversationUpdated).not.toHaveBeenCalled();
    });

    it('takes encrypted: false for a plaintext conversation as no change', async () => {
      const { sut, conversations, realtime } = newConversationsService();

      expect((await sut.update(ALICE, CONVERSATION, { encrypted: false })).encrypted).toBe(false);
      expect(conversations.writeSettings).not.toHaveBeenCalled();
      expect(realtime.conversationUpdated).not.toHaveBeenCalled();
    });
  });

  describe('notices', () => {
    it('records turning encryption on once, by whom and after which message, in the transaction of the change', async () => {
      const { sut, notices } = newConversationsService();

      await sut.update(ALICE, CONVERSATION, { encrypted: true });
      await sut.update(ALICE, CONVERSATION, { encrypted: true });

      expect(notices.add).toHaveBeenCalledTimes(1);
      expect(notices.add).toHaveBeenCalledWith(expect.anything(), [
        { type: 'encryption', data: {}, conversationId: CONVERSATION, actorId: ALICE, afterSeq: 7, createdAt: START },
      ]);
    });

    it('records a new timer and its removal, and nothing for a mode change while the timer is off', async () => {
      const { sut, state, notices } = newConversationsService();

      await sut.update(ALICE, CONVERSATION, { defaultExpiryMode: 'afterRead' });
      expect(state.defaultExpiryMode).toBe('afterRead');
      await sut.update(BOB, CONVERSATION, { defaultExpiresInSeconds: 86_400 });
      await sut.update(ALICE, CONVERSATION, { defaultExpiresInSeconds: null });

      expect(notices.add.mock.calls.map(([, added]) => added)).toEqual([
        [],
        [expect.objectContaining({ type: 'timer', data: { expiresInSeconds: 86_400, expiryMode: 'afterRead' }, actorId: BOB })],
        [expect.objectContaining({ type: 'timer', data: { expiresInSeconds: null, expiryMode: 'afterRead' }, actorId: ALICE })],
      ]);
    });
  });

  describe('settingNotices', () => {
    const off = { defaultExpiresInSeconds: null, defaultExpiryMode: 'afterSend' as ExpiryMode, encrypted: false };

    it.each([
      ['nothing changed', off, []],
      ['the mode changed while the timer is off', { ...off, defaultExpiryMode: 'afterRead' as ExpiryMode }, []],
      ['the timer was set', { ...off, defaultExpiresInSeconds: 60 }, [{ type: 'timer', data: { expiresInSeconds: 60, expiryMode: 'afterSend' } }]],
      ['encryption went on', { ...off, encrypted: true }, [{ type: 'encryption', data: {} }]],
    ])('%s', (_name, after, expected) => {
      expect(settingNotices(off, after)).toEqual(expected);
    });

    it('records a change of mode of a running timer', () => {
      const running = { ...off, defaultExpiresInSeconds: 60 };

      expect(settingNotices(running, { ...running, defaultExpiryMode: 'afterRead' })).toEqual([
        { type: 'timer', data: { expiresInSeconds: 60, expiryMode: 'afterRead' } },
      ]);
    });
  });
});
