import { jest } from '@jest/globals';
import { BadRequestException, ConflictException, ForbiddenException, NotFoundException, UnauthorizedException } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { AttachmentsService } from '../attachments/attachments.service.js';
import { Attachment } from '../attachments/attachment.entity.js';
import { Conversation } from '../conversations/conversation.entity.js';
import { ConversationMember } from '../conversations/conversation-member.entity.js';
import type { ConversationsService, Membership } from '../conversations/conversations.service.js';
import { toMessageDto, type SendMessageDto } from './dto/message.dto.js';
import { Message } from './message.entity.js';
import { asProcess, MessagesService } from './messages.service.js';
import { fakePgPool } from '../../test/helpers/fake-pg-pool.js';
import { FakeClock } from '../../test/helpers/fake-clock.js';
import { rejection } from '../../test/helpers/rejection.js';
import { fakeTransaction } from '../../test/helpers/fake-transaction.js';
import { asRealtime, fakeRealtime, type FakeRealtime } from '../../test/helpers/fake-realtime.js';

const START = new Date('2030-01-01T00:00:00Z');
const ALICE = 'alice-id';
const BOB = 'bob-id';
const CONVERSATION = 'conversation-1';
const CLIENT_ID = '0b8a6f5e-6a4e-4c44-9d7a-2f1f0c9f2a11';
const CALLER = { userId: ALICE, sessionId: 'session-1', tokenVersion: 3 };

function aConversation(overrides: Partial<Conversation> = {}): Conversation {
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

function aMessage(overrides: Partial<Message> = {}): Message {
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
const asRow = (message: Message): Record<string, unknown> => ({
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
const aDto = (overrides: Partial<SendMessageDto> = {}): SendMessageDto => ({ clientId: CLIENT_ID, body: 'hello', ...overrides });

/** Every chain method returns the builder itself; the test sets what `execute`/`getMany`/`getOne` resolve to. */
function fakeQueryBuilder() {
  return {
    insert: jest.fn().mockReturnThis(),
    into: jest.fn().mockReturnThis(),
    values: jest.fn().mockReturnThis(),
    orIgnore: jest.fn().mockReturnThis(),
    updateEntity: jest.fn().mockReturnThis(),
    returning: jest.fn().mockReturnThis(),
    update: jest.fn().mockReturnThis(),
    set: jest.fn().mockReturnThis(),
    innerJoin: jest.fn().mockReturnThis(),
    where: jest.fn().mockReturnThis(),
    andWhere: jest.fn().mockReturnThis(),
    orderBy: jest.fn().mockReturnThis(),
    limit: jest.fn().mockReturnThis(),
    execute: jest.fn<() => Promise<{ raw: Record<string, unknown>[]; affected?: number }>>(async () => ({ raw: [], affected: 1 })),
    getMany: jest.fn<() => Promise<Message[]>>(async () => []),
    getOne: jest.fn<() => Promise<Message | null>>(async () => null),
  };
}

function fakeEntityManager() {
  return {
    /** Answers the `UPDATE conversations … RETURNING last_seq` the way the postgres driver does: [rows, rowCount]. */
    query: jest.fn<(sql: string, params: unknown[]) => Promise<unknown>>(async () => [[{ last_seq: 7 }], 1]),
    createQueryBuilder: jest.fn<() => ReturnType<typeof fakeQueryBuilder>>(),
    findOne: jest.fn<(entity: unknown, options: object) => Promise<ConversationMember | null>>(async () => null),
    findOneByOrFail: jest.fn<(entity: unknown, where: object) => Promise<Message>>(async () => aMessage()),
    update: jest.fn<(entity: unknown, criteria: object, changes: object) => Promise<object>>(async () => ({ affected: 1 })),
    delete: jest.fn<(entity: unknown, criteria: object) => Promise<object>>(async () => ({ affected: 0 })),
  };
}

function fakeMessageRepository() {
  return {
    findOneBy: jest.fn<(where: object) => Promise<Message | null>>(async () => null),
    findOneByOrFail: jest.fn<(where: object) => Promise<Message>>(async () => aMessage()),
    update: jest.fn<(criteria: object, changes: object) => Promise<object>>(async () => ({ affected: 1 })),
    createQueryBuilder: jest.fn<(alias: string) => ReturnType<typeof fakeQueryBuilder>>(),
  };
}

describe('MessagesService', () => {
  let clock: FakeClock;
  let manager: ReturnType<typeof fakeEntityManager>;
  let insertBuilder: ReturnType<typeof fakeQueryBuilder>;
  let readBuilder: ReturnType<typeof fakeQueryBuilder>;
  let updateBuilder: ReturnType<typeof fakeQueryBuilder>;
  let messages: ReturnType<typeof fakeMessageRepository>;
  /** Whether the last transaction callback threw, i.e. the transaction rolled back. */
  let transactions: ReturnType<typeof fakeTransaction<ReturnType<typeof fakeEntityManager>>>;
  let pool: ReturnType<typeof fakePgPool>;
  let dataSource: {
    manager: ReturnType<typeof fakePgPool>['manager'];
    transaction: jest.Mock<(work: (m: unknown) => Promise<unknown>) => Promise<unknown>>;
    getRepository: jest.Mock<(entity: unknown) => unknown>;
    createQueryBuilder: jest.Mock<() => ReturnType<typeof fakeQueryBuilder>>;
  };
  let conversationsService: {
    getMembership: jest.Mock<ConversationsService['getMembership']>;
    assertCanWrite: jest.Mock<ConversationsService['assertCanWrite']>;
  };
  let attachmentsService: {
    attach: jest.Mock<AttachmentsService['attach']>;
    forMessages: jest.Mock<AttachmentsService['forMessages']>;
    deleteForMessage: jest.Mock<AttachmentsService['deleteForMessage']>;
    purgeKeys: jest.Mock<AttachmentsService['purgeKeys']>;
  };
  let realtime: FakeRealtime;
  let sut: MessagesService;

  const membership = (conversation: Conversation = aConversation(), lastReadSeq = 0): Membership => ({
    conversation,
    lastReadSeq,
    peerId: BOB,
  });

  beforeEach(() => {
    clock = new FakeClock(START);
    manager = fakeEntityManager();
    insertBuilder = fakeQueryBuilder();
    insertBuilder.execute.mockResolvedValue({ raw: [{ id: 'message-1' }] });
    manager.createQueryBuilder.mockReturnValue(insertBuilder);
    readBuilder = fakeQueryBuilder();
    updateBuilder = fakeQueryBuilder();
    messages = fakeMessageRepository();
    messages.createQueryBuilder.mockReturnValue(readBuilder);
    transactions = fakeTransaction(manager);
    pool = fakePgPool();
    Object.assign(manager, { queryRunner: pool.queryRunner });
    dataSource = {
      manager: pool.manager,
      transaction: transactions.transaction,
      getRepository: jest.fn((entity) => (entity === Message ? messages : undefined)),
      createQueryBuilder: jest.fn(() => updateBuilder),
    };
    conversationsService = {
      getMembership: jest.fn(async () => membership()),
      assertCanWrite: jest.fn(async () => undefined),
    };
    realtime = fakeRealtime();
    attachmentsService = {
      attach: jest.fn(async () => []),
      forMessages: jest.fn(async () => new Map()),
      deleteForMessage: jest.fn(async () => ['originals/a', 'thumbnails/a']),
      purgeKeys: jest.fn(async () => undefined),
    };
    sut = new MessagesService(
      dataSource as unknown as DataSource,
      conversationsService as unknown as ConversationsService,
      attachmentsService as unknown as AttachmentsService,
      clock,
      asRealtime(realtime),
    );
  });

  describe('send', () => {
    const answers = (outcome: string, message: Message | null = null) =>
      pool.query.mockResolvedValueOnce({ rows: [{ outcome, peer_id: message ? BOB : null, message: message ? asRow(message) : null }] });

    it('passes the message to send_message in one statement, with no transaction', async () => {
      clock.advance(5_000);
      answers('created', aMessage());

      await sut.send(CALLER, CONVERSATION, aDto({ expiresInSeconds: 60, expiryMode: 'afterRead' }));

      expect(pool.query).toHaveBeenCalledTimes(1);
      expect(pool.query.mock.calls[0][0]).toMatchObject({
        name: 'messages_send',
        values: ['session-1', 3, CONVERSATION, ALICE, CLIENT_ID, 'hello', new Date(START.getTime() + 5_000), true, 60, 'afterRead'],
      });
      expect(dataSource.transaction).not.toHaveBeenCalled();
    });

    it('tells send_message whether a timer was given: left out takes the default, null means none', async () => {
      answers('created', aMessage());
      answers('created', aMessage());

      await sut.send(CALLER, CONVERSATION, aDto());
      await sut.send(CALLER, CONVERSATION, aDto({ expiresInSeconds: null, body: '' }));

      expect(pool.query.mock.calls[0][0].values.slice(5)).toEqual(['hello', START, false, null, null]);
      expect(pool.query.mock.calls[1][0].values.slice(5)).toEqual([null, START, true, null, null]);
    });

    it('returns the stored row with created:true and announces it to both members', async () => {
      const stored = aMessage({ expiresInSeconds: 60, expiryMode: 'afterSend', expiresAt: new Date(START.getTime() + 60_000) });
      answers('created', stored);

      const result = await sut.send(CALLER, CONVERSATION, aDto());

      expect(result).toEqual({ message: toMessageDto(stored), created: true });
      expect(realtime.messageCreated).toHaveBeenCalledTimes(1);
      expect(realtime.messageCreated).toHaveBeenCalledWith([ALICE, BOB], result.message);
    });

    it('passes no session when the process sends for a user itself', async () => {
      answers('created', aMessage());

      await sut.send(asProcess(ALICE), CONVERSATION, aDto());

      expect(pool.query.mock.calls[0][0].values.slice(0, 4)).toEqual([null, null, CONVERSATION, ALICE]);
    });

    it.each([
      ['SESSION_REVOKED', UnauthorizedException],
      ['CONVERSATION_NOT_FOUND', NotFoundException],
      ['PEER_GONE', ForbiddenException],
      ['BLOCKED', ForbiddenException],
      ['NOT_FRIENDS', ForbiddenException],
    ])('answers %s when send_message refuses, and announces nothing', async (code, type) => {
      answers(code);

      const error = await rejection(sut.send(CALLER, CONVERSATION, aDto()));

      expect(error).toBeInstanceOf(type);
      expect(error.getResponse()).toMatchObject({ code });
      expect(realtime.messageCreated).not.toHaveBeenCalled();
    });

    describe('with attachments', () => {
      const withFiles = () => aDto({ attachmentIds: ['file-1', 'file-2'] });

      it('attaches them in the same transaction and answers with them', async () => {
        answers('created', aMessage());
        const files = ['file-1', 'file-2'].map((id, position) =>
          Object.assign(new Attachment(), {
            id,
            uploaderId: ALICE,
            messageId: 'message-1',
            position,
            kind: 'file',
            mimeType: 'application/pdf',
            size: 10,
            name: `${id}.pdf`,
            width: null,
            height: null,
            durationSeconds: null,
            storageKey: `originals/${id}`,
            thumbnailKey: null,
            createdAt: START,
          }),
        );
        attachmentsService.attach.mockResolvedValueOnce(files);

        const { message } = await sut.send(CALLER, CONVERSATION, withFiles());

        expect(dataSource.transaction).toHaveBeenCalledTimes(1);
        expect(attachmentsService.attach).toHaveBeenCalledWith(manager, ALICE, 'message-1', ['file-1', 'file-2']);
        expect(message.attachments.map((attachment) => attachment.id)).toEqual(['file-1', 'file-2']);
      });

      it('rolls the message back when they cannot be attached', async () => {
        answers('created', aMessage());
        const invalid = new BadRequestException({ code: 'INVALID_ATTACHMENT' });
        attachmentsService.attach.mockRejectedValueOnce(invalid);

        await expect(sut.send(CALLER, CONVERSATION, withFiles())).rejects.toBe(invalid);
        expect(transactions.state.rolledBack).toBe(true);
        expect(realtime.messageCreated).not.toHaveBeenCalled();
      });

      it('attaches nothing when send_message refuses', async () => {
        answers('BLOCKED');

        await expect(sut.send(CALLER, CONVERSATION, withFiles())).rejects.toBeInstanceOf(ForbiddenException);
        expect(attachmentsService.attach).not.toHaveBeenCalled();
      });
    });

    describe('with a clientId the sender already used', () => {
      it('returns the original message with created:false and announces nothing', async () => {
        const original = aMessage();
        answers('replayed', original);

        await expect(sut.send(CALLER, CONVERSATION, aDto())).resolves.toEqual({ message: toMessageDto(original), created: false });
        expect(realtime.messageCreated).not.toHaveBeenCalled();
      });

      it('still returns the original while its timer has not run out', async () => {
        answers('replayed', aMessage({ expiresInSeconds: 60, expiryMode: 'afterSend', expiresAt: new Date(START.getTime() + 1) }));

        await expect(sut.send(CALLER, CONVERSATION, aDto())).resolves.toMatchObject({ message: { id: 'message-1' }, created: false });
      });

      it.each([
        ['a different body', aMessage({ body: 'something else' })],
        ['another conversation', aMessage({ conversationId: 'conversation-2' })],
        ['a deleted original', aMessage({ body: null, deletedAt: new Date(START.getTime() - 1000) })],
        ['an original that expired just now', aMessage({ expiresInSeconds: 60, expiryMode: 'afterSend', expiresAt: START })],
        ['an original that expired earlier', aMessage({ expiresInSeconds: 60, expiryMode: 'afterSend', expiresAt: new Date(START.getTime() - 1000) })],
      ])('answers CLIENT_ID_CONFLICT for %s', async (_, original) => {
        answers('replayed', original);

        const error = await rejection(sut.send(CALLER, CONVERSATION, aDto()));

        expect(error).toBeInstanceOf(ConflictException);
        expect(error.getResponse()).toMatchObject({ code: 'CLIENT_ID_CONFLICT' });
      });

      it('answers CLIENT_ID_CONFLICT when the retry asks for another timer', async () => {
        answers('replayed', aMessage({ expiresInSeconds: 30, expiryMode: 'afterRead' }));

        const error = await rejection(sut.send(CALLER, CONVERSATION, aDto({ expiresInSeconds: 60 })));

        expect(error).toBeInstanceOf(ConflictException);
        expect(error.getResponse()).toMatchObject({ code: 'CLIENT_ID_CONFLICT' });
      });
    });

    describe('when a concurrent retry inserted the same clientId first', () => {
      // As pg reports it: a DatabaseError with the SQLSTATE the function raised.
      const raced = Object.assign(new Error('clientId was used by a concurrent send'), { code: 'IR409' });

      it('answers the winner with created:false', async () => {
        const winner = aMessage({ id: 'winner', seq: 7 });
        pool.query.mockRejectedValueOnce(raced);
        messages.findOneByOrFail.mockResolvedValueOnce(winner);

        await expect(sut.send(CALLER, CONVERSATION, aDto())).resolves.toEqual({ message: toMessageDto(winner), created: false });
        expect(realtime.messageCreated).not.toHaveBeenCalled();
        expect(messages.findOneByOrFail).toHaveBeenCalledWith({ senderId: ALICE, clientId: CLIENT_ID });
      });

      it('answers CLIENT_ID_CONFLICT when the winner has another body', async () => {
        pool.query.mockRejectedValueOnce(raced);
        messages.findOneByOrFail.mockResolvedValueOnce(aMessage({ id: 'winner', body: 'the other one' }));

        const error = await rejection(sut.send(CALLER, CONVERSATION, aDto()));

        expect(error).toBeInstanceOf(ConflictException);
        expect(error.getResponse()).toMatchObject({ code: 'CLIENT_ID_CONFLICT' });
      });
    });

    it('rethrows other database errors unchanged', async () => {
      const lost = new Error('connection lost');
      pool.query.mockRejectedValueOnce(lost);

      await expect(sut.send(CALLER, CONVERSATION, aDto())).rejects.toMatchObject({ driverError: lost });
      expect(messages.findOneByOrFail).not.toHaveBeenCalled();
    });
  });

  describe('history', () => {
    const rowsOf = (...values: number[]) => ({ rows: values.map((seq) => ({ ...asRow(aMessage({ id: `message-${seq}`, seq })), attachments: null })) });
    const historyCall = () => pool.query.mock.calls[0][0];

    it('answers VALIDATION_FAILED for before and after together, before any query', async () => {
      const error = await rejection(sut.history(ALICE, CONVERSATION, { before: 10, after: 2 }, 50));

      expect(error).toBeInstanceOf(BadRequestException);
      expect(error.getResponse()).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(pool.query).not.toHaveBeenCalled();
    });

    it('answers CONVERSATION_NOT_FOUND when the statement finds no membership row', async () => {
      pool.query.mockResolvedValueOnce({ rows: [] });

      const error = await rejection(sut.history(ALICE, CONVERSATION, {}, 50));

      expect(error).toBeInstanceOf(NotFoundException);
      expect(error.getResponse()).toMatchObject({ code: 'CONVERSATION_NOT_FOUND' });
    });

    it('pages backwards from the newest message, hiding what expired by now, asking for one row more than the page', async () => {
      pool.query.mockResolvedValueOnce(rowsOf(1));

      await sut.history(ALICE, CONVERSATION, {}, 2);

      expect(historyCall()).toMatchObject({ name: 'messages_history_before', values: [CONVERSATION, ALICE, 2 ** 31 - 1, START, 3] });
    });

    it('returns the items oldest first with the seq of the oldest as cursor when paging backwards', async () => {
      pool.query.mockResolvedValueOnce(rowsOf(9, 8, 7));

      const page = await sut.history(ALICE, CONVERSATION, { before: 10 }, 2);

      expect(historyCall()).toMatchObject({ name: 'messages_history_before', values: [CONVERSATION, ALICE, 10, START, 3] });
      expect(page.items.map((item) => item.seq)).toEqual([8, 9]);
      expect(page.nextCursor).toBe('8');
    });

    it('returns no cursor when no extra row came back when paging backwards', async () => {
      pool.query.mockResolvedValueOnce(rowsOf(2, 1));

      const page = await sut.history(ALICE, CONVERSATION, { before: 3 }, 2);

      expect(page.items.map((item) => item.seq)).toEqual([1, 2]);
      expect(page.nextCursor).toBeNull();
    });

    it('returns the items oldest first with the seq of the newest as cursor when paging forwards', async () => {
      pool.query.mockResolvedValueOnce(rowsOf(4, 5, 6));

      const page = await sut.history(ALICE, CONVERSATION, { after: 3 }, 2);

      expect(historyCall()).toMatchObject({ name: 'messages_history_after', values: [CONVERSATION, ALICE, 3, START, 3] });
      expect(page.items.map((item) => item.seq)).toEqual([4, 5]);
      expect(page.nextCursor).toBe('5');
    });

    it('pages forwards from the start with after=0', async () => {
      pool.query.mockResolvedValueOnce(rowsOf(1, 2));

      const page = await sut.history(ALICE, CONVERSATION, { after: 0 }, 2);

      expect(historyCall()).toMatchObject({ values: [CONVERSATION, ALICE, 0, START, 3] });
      expect(page.items.map((item) => item.seq)).toEqual([1, 2]);
      expect(page.nextCursor).toBeNull();
    });

    it('returns an empty page without a cursor for a member of an empty conversation', async () => {
      const noMessage = Object.fromEntries(Object.keys(asRow(aMessage())).map((key) => [key, null]));
      pool.query.mockResolvedValueOnce({ rows: [{ ...noMessage, attachments: null }] });

      await expect(sut.history(ALICE, CONVERSATION, {}, 50)).resolves.toEqual({ items: [], nextCursor: null });
    });

    it('answers each message with its attachments', async () => {
      const file = {
        id: 'file-1', uploader_id: ALICE, message_id: 'message-3', position: 0, kind: 'image', mime_type: 'image/png', size: 10,
        name: 'a.png', width: 4, height: 3, duration_seconds: null, storage_key: 'originals/file-1', thumbnail_key: 'thumbnails/file-1',
        created_at: START.toISOString(),
      };
      pool.query.mockResolvedValueOnce({ rows: [{ ...asRow(aMessage({ id: 'message-3', seq: 3 })), attachments: [file] }] });

      const page = await sut.history(ALICE, CONVERSATION, {}, 50);

      expect(page.items[0].attachments).toEqual([
        expect.objectContaining({ id: 'file-1', kind: 'image', width: 4, url: '/api/attachments/file-1', thumbnailUrl: '/api/attachments/file-1/thumbnail' }),
      ]);
    });
  });

  describe('edit', () => {
    beforeEach(() => manager.createQueryBuilder.mockReturnValue(updateBuilder));

    it('writes the new body with editedAt, guarded in SQL, and returns the re-read message', async () => {
      readBuilder.getOne.mockResolvedValueOnce(aMessage());
      const edited = aMessage({ body: 'edited', editedAt: START });
      messages.findOneByOrFail.mockResolvedValueOnce(edited);

      await expect(sut.edit(ALICE, 'message-1', 'edited')).resolves.toEqual(toMessageDto(edited));
      expect(readBuilder.innerJoin).toHaveBeenCalledWith(ConversationMember, 'cm', expect.any(String), { userId: ALICE });
      expect(conversationsService.assertCanWrite).toHaveBeenCalledWith(ALICE, BOB, manager);
      expect(updateBuilder.update).toHaveBeenCalledWith(Message);
      expect(updateBuilder.set).toHaveBeenCalledWith({ body: 'edited', editedAt: START });
      expect(updateBuilder.where).toHaveBeenCalledWith(expect.stringContaining('deleted_at IS NULL'), { id: 'message-1', now: START });
      expect(messages.findOneByOrFail).toHaveBeenCalledWith({ id: 'message-1' });
      expect(realtime.messageUpdated).toHaveBeenCalledWith([ALICE, BOB], toMessageDto(edited));
    });

    it('answers MESSAGE_NOT_FOUND for a message the caller cannot see', async () => {
      const error = await rejection(sut.edit(ALICE, 'message-1', 'edited'));

      expect(error).toBeInstanceOf(NotFoundException);
      expect(error.getResponse()).toMatchObject({ code: 'MESSAGE_NOT_FOUND' });
      expect(updateBuilder.execute).not.toHaveBeenCalled();
    });

    it('answers NOT_MESSAGE_SENDER for the other member', async () => {
      readBuilder.getOne.mockResolvedValueOnce(aMessage({ senderId: BOB }));

      const error = await rejection(sut.edit(ALICE, 'message-1', 'edited'));

      expect(error).toBeInstanceOf(ForbiddenException);
      expect(error.getResponse()).toMatchObject({ code: 'NOT_MESSAGE_SENDER' });
      expect(updateBuilder.execute).not.toHaveBeenCalled();
    });

    it('answers MESSAGE_NOT_EDITABLE for a deleted message', async () => {
      readBuilder.getOne.mockResolvedValueOnce(aMessage({ body: null, deletedAt: START }));

      const error = await rejection(sut.edit(ALICE, 'message-1', 'edited'));

      expect(error).toBeInstanceOf(ConflictException);
      expect(error.getResponse()).toMatchObject({ code: 'MESSAGE_NOT_EDITABLE' });
      expect(updateBuilder.execute).not.toHaveBeenCalled();
    });

    it('answers MESSAGE_NOT_EDITABLE when the message was deleted or expired between the read and the update', async () => {
      readBuilder.getOne.mockResolvedValueOnce(aMessage());
      updateBuilder.execute.mockResolvedValueOnce({ raw: [], affected: 0 });

      const error = await rejection(sut.edit(ALICE, 'message-1', 'edited'));

      expect(error).toBeInstanceOf(ConflictException);
      expect(error.getResponse()).toMatchObject({ code: 'MESSAGE_NOT_EDITABLE' });
    });

    it('writes nothing when the caller may no longer write to the conversation', async () => {
      readBuilder.getOne.mockResolvedValueOnce(aMessage());
      const blocked = new ForbiddenException({ code: 'BLOCKED' });
      conversationsService.assertCanWrite.mockRejectedValueOnce(blocked);

      await expect(sut.edit(ALICE, 'message-1', 'edited')).rejects.toBe(blocked);
      expect(updateBuilder.execute).not.toHaveBeenCalled();
      expect(realtime.messageUpdated).not.toHaveBeenCalled();
    });
  });

  describe('delete', () => {
    it('clears the body, stamps deletedAt and deletes the attachments in one transaction, then removes their files and sends both members the tombstone', async () => {
      readBuilder.getOne.mockResolvedValueOnce(aMessage());

      await sut.delete(ALICE, 'message-1');

      expect(transactions.transaction).toHaveBeenCalledTimes(1);
      expect(manager.update).toHaveBeenCalledWith(Message, { id: 'message-1' }, { body: null, deletedAt: START });
      expect(attachmentsService.deleteForMessage).toHaveBeenCalledWith(manager, 'message-1');
      expect(attachmentsService.purgeKeys).toHaveBeenCalledWith(['originals/a', 'thumbnails/a']);
      expect(transactions.state.rolledBack).toBe(false);
      expect(attachmentsService.deleteForMessage.mock.invocationCallOrder[0]).toBeLessThan(attachmentsService.purgeKeys.mock.invocationCallOrder[0]);
      expect(realtime.messageDeleted).toHaveBeenCalledWith([ALICE, BOB], toMessageDto(aMessage({ body: null, deletedAt: START })));
      expect(realtime.messageDeleted.mock.calls[0][1]).toMatchObject({ deleted: true, body: null, attachments: [] });
    });

    it('answers NOT_MESSAGE_SENDER for the other member', async () => {
      readBuilder.getOne.mockResolvedValueOnce(aMessage({ senderId: BOB }));

      const error = await rejection(sut.delete(ALICE, 'message-1'));

      expect(error).toBeInstanceOf(ForbiddenException);
      expect(error.getResponse()).toMatchObject({ code: 'NOT_MESSAGE_SENDER' });
      expect(manager.update).not.toHaveBeenCalled();
      expect(manager.delete).not.toHaveBeenCalled();
    });

    it('does nothing for a message already deleted', async () => {
      readBuilder.getOne.mockResolvedValueOnce(aMessage({ body: null, deletedAt: new Date(START.getTime() - 1000) }));

      await expect(sut.delete(ALICE, 'message-1')).resolves.toBeUndefined();
      expect(manager.update).not.toHaveBeenCalled();
      expect(realtime.messageDeleted).not.toHaveBeenCalled();
    });

    it('answers MESSAGE_NOT_FOUND for a message the caller cannot see', async () => {
      const error = await rejection(sut.delete(ALICE, 'message-1'));

      expect(error).toBeInstanceOf(NotFoundException);
      expect(error.getResponse()).toMatchObject({ code: 'MESSAGE_NOT_FOUND' });
    });
  });

  describe('markRead', () => {
    const aMember = (lastReadSeq: number) => Object.assign(new ConversationMember(), { conversationId: CONVERSATION, userId: ALICE, lastReadSeq });

    it('answers MESSAGE_NOT_FOUND for a message of another conversation', async () => {
      readBuilder.getOne.mockResolvedValueOnce(aMessage({ conversationId: 'conversation-2', senderId: BOB }));

      const error = await rejection(sut.markRead(ALICE, CONVERSATION, 'message-1'));

      expect(error).toBeInstanceOf(NotFoundException);
      expect(error.getResponse()).toMatchObject({ code: 'MESSAGE_NOT_FOUND' });
      expect(dataSource.transaction).not.toHaveBeenCalled();
    });

    it('moves the marker forward under a row lock and starts the afterRead timers it passes', async () => {
      readBuilder.getOne.mockResolvedValueOnce(aMessage({ senderId: BOB, seq: 7 }));
      manager.findOne.mockResolvedValueOnce(aMember(3));

      await sut.markRead(ALICE, CONVERSATION, 'message-1');

      expect(conversationsService.getMembership).toHaveBeenCalledWith(ALICE, CONVERSATION);
      expect(manager.findOne).toHaveBeenCalledWith(ConversationMember, {
        where: { conversationId: CONVERSATION, userId: ALICE },
        lock: { mode: 'pessimistic_write' },
      });
      expect(manager.update).toHaveBeenCalledWith(ConversationMember, { conversationId: CONVERSATION, userId: ALICE }, { lastReadSeq: 7 });
      expect(manager.query).toHaveBeenCalledWith(expect.stringContaining("expiry_mode = 'afterRead'"), [CONVERSATION, 3, 7, ALICE, START]);
      expect(realtime.conversationRead).toHaveBeenCalledWith([ALICE, BOB], {
        conversationId: CONVERSATION,
        userId: ALICE,
        messageId: 'message-1',
        seq: 7,
        readAt: START,
      });
    });

    it.each([
      ['already past the message', 9],
      ['already at the message', 7],
    ])('updates nothing when the marker is %s', async (_, lastReadSeq) => {
      readBuilder.getOne.mockResolvedValueOnce(aMessage({ senderId: BOB, seq: 7 }));
      manager.findOne.mockResolvedValueOnce(aMember(lastReadSeq));

      await sut.markRead(ALICE, CONVERSATION, 'message-1');

      expect(manager.update).not.toHaveBeenCalled();
      expect(manager.query).not.toHaveBeenCalled();
      expect(realtime.conversationRead).not.toHaveBeenCalled();
    });

    it('answers MESSAGE_NOT_FOUND for a message the caller cannot see', async () => {
      const error = await rejection(sut.markRead(ALICE, CONVERSATION, 'message-1'));

      expect(error.getResponse()).toMatchObject({ code: 'MESSAGE_NOT_FOUND' });
      expect(dataSource.transaction).not.toHaveBeenCalled();
    });
  });
});
