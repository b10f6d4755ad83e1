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

/** Megolm `m.room.encrypted` content as OlmMachine.encryptRoomEvent makes it (shortened ciphertext). */
export const MEGOLM = {
  algorithm: 'm.megolm.v1.aes-sha2' as const,
  ciphertext: 'AwgBEtABMUoMoHlFjcAe804T2/g5yh7dgJBUWHtl1B3BoMdIj++sY2CV+zQSheSUErOKDSwXD1/VDpqEeoBCc+hU9hRyayizRouw1SGGUkeVinY0Is06Tw',
  device_id: '6f0e3a4c-0d55-4e7a-9a49-3f5e0b3c2d11',
  sender_key: '26uCNjtjOFyYek+DL+n15vFYU4wpP/TRuEOUXA5+NW0',
  session_id: 'OV64ougYA7gMii8W4Tp3V22IYRMNntjXITTc7KtA2cI',
};

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
    encrypted: false,
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
    ciphertext: null,
    senderDeviceId: 'session-1',
    kind: 'message',
    relatesTo: null,
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
  ciphertext: message.ciphertext,
  sender_device_id: message.senderDeviceId,
  kind: message.kind,
  relates_to: message.relatesTo,
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
  messages.tombstone.mockResolvedValue([]);
  messages.startReadTimers.mockResolvedValue(undefined);
  messages.history.mockResolvedValue([]);
  const conversationsService = built.mock(ConversationsService);
  conversationsService.getMembership.mockResolvedValue({ conversation: aConversation(), lastReadSeq: 0, peerId: BOB } satisfies Membership);
  conversationsService.assertCanWrite.mockResolvedValue(undefined);
  conversationsService.advanceReadMarker.mockResolvedValue(null);
  conversationsService.lockEncrypted.mockResolvedValue(false);
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
