import { AttachmentsService } from '../../src/attachments/attachments.service.js';
import { Clock } from '../../src/common/clock.js';
import { Conversation } from '../../src/conversations/conversation.entity.js';
import { ConversationsService, type Membership } from '../../src/conversations/conversations.service.js';
import { Transactions } from '../../src/database/transaction.js';
import type { SendMessageDto } from '../../src/messages/dto/message.dto.js';
import { Message } from '../../src/messages/message.entity.js';
import { MessagesRepository, type SendOutcomeRow } from '../../src/messages/messages.repository.js';
import { MessagesService } from '../../src/messages/messages.service.js';
import { RealtimeService } from '../../src/realtime/realtime.service.js';
import { FakeClock } from './fake-clock.js';
import { asRealtime, fakeRealtime } from './fake-realtime.js';
import { fakeTransactions, newTestService } from './new-test-service.js';

export const START = new Date('2030-01-01T00:00:00Z');
export const ALICE = 'alice-id';
export const BOB = 'bob-id';
export const CONVERSATION = 'conversation-1';
export const CLIENT_ID = '0b8a6f5e-6a4e-4c44-9d7a-2f1f0c9f2a11';
export const CALLER = { userId: ALICE, sessionId: 'session-1', tokenVersion: 3 };

export function aConversation(overrides: Partial<Conversation> = {}): Conversation {
  return Object.assign(new Conversation(), {
    id: CONVERSATION,
    userAId: ALICE,
    userBId: BOB,
    lastSeq: 6,
    lastActivityAt: START,
    createdAt: START,
    defaultExpiresInSeconds: null,
    defaultExpiryMode: 'afterSend',
    ...overrides,
  });
}

export function aMessage(overrides: Partial<Message> = {}): Message {
  return Object.assign(new Message(), {
    id: 'message-1',
    conversationId: CONVERSATION,
    seq: 7,
    senderId: ALICE,
    clientId: CLIENT_ID,
    body: 'hello',
    createdAt: new Date(START.getTime() - 60_000),
    editedAt: null,
    deletedAt: null,
    expiresInSeconds: null,
    expiryMode: null,
    expiresAt: null,
    ...overrides,
  });
}

/** A `messages` row as the database answers it in jsonb (send_message, history): timestamps are strings. */
export const asRow = (message: Message): Record<string, unknown> => ({
  id: message.id,
  conversation_id: message.conversationId,
  seq: message.seq,
  sender_id: message.senderId,
  client_id: message.clientId,
  body: message.body,
  created_at: message.createdAt.toISOString(),
  edited_at: message.editedAt?.toISOString() ?? null,
  deleted_at: message.deletedAt?.toISOString() ?? null,
  expires_in_seconds: message.expiresInSeconds,
  expiry_mode: message.expiryMode,
  expires_at: message.expiresAt?.toISOString() ?? null,
});
export const aDto = (overrides: Partial<SendMessageDto> = {}): SendMessageDto => ({ clientId: CLIENT_ID, body: 'hello', ...overrides });


/** MessagesService as `sut` with its repository and the services it calls mocked, Alice and Bob in one conversation. */
export function newMessagesService() {
  const clock = new FakeClock(START);
  const transactions = fakeTransactions();
  const realtime = fakeRealtime();
  const built = newTestService(MessagesService, [
    [Clock, clock],
    [Transactions, transactions],
    [RealtimeService, asRealtime(realtime)],
  ]);
  const messages = built.mock(MessagesRepository);
  messages.findOne.mockResolvedValue(aMessage());
  messages.findVisible.mockResolvedValue(null);
  messages.edit.mockResolvedValue(true);
  messages.tombstone.mockResolvedValue(undefined);
  messages.startReadTimers.mockResolvedValue(undefined);
  messages.history.mockResolvedValue([]);
  const conversationsService = built.mock(ConversationsService);
  conversationsService.getMembership.mockResolvedValue({ conversation: aConversation(), lastReadSeq: 0, peerId: BOB } satisfies Membership);
  conversationsService.assertCanWrite.mockResolvedValue(undefined);
  conversationsService.advanceReadMarker.mockResolvedValue(null);
  const attachmentsService = built.mock(AttachmentsService);
  attachmentsService.attach.mockResolvedValue([]);
  attachmentsService.forMessages.mockResolvedValue(new Map());
  attachmentsService.deleteForMessage.mockResolvedValue(['originals/a', 'thumbnails/a']);
  attachmentsService.purgeKeys.mockResolvedValue(undefined);
  /** send_message answers `outcome`, with `message` as its jsonb row. */
  const answers = (outcome: SendOutcomeRow['outcome'], message: Message | null = null) =>
    messages.send.mockResolvedValueOnce({ outcome, peer_id: message ? BOB : null, message: message ? (asRow(message) as never) : null });
  return { sut: built.sut, clock, transactions, realtime, messages, conversationsService, attachmentsService, answers };
}
