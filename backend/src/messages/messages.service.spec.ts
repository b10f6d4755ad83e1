import { BadRequestException, ConflictException, ForbiddenException, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { Attachment } from '../attachments/attachment.entity.js';
import { toMessageDto } from './dto/message.dto.js';
import { asProcess, type MessagesService } from './messages.service.js';
import { ALICE, BOB, CALLER, CLIENT_ID, CONVERSATION, MEGOLM, START, aDto, aMessage, asRow, newMessagesService } from '../../test/helpers/messages-service.js';
import { rejection } from '../../test/helpers/rejection.js';

describe('MessagesService', () => {
  let fixture: ReturnType<typeof newMessagesService>;
  let sut: MessagesService;
  let messages: typeof fixture.messages;
  let attachmentsService: typeof fixture.attachmentsService;
  let transactions: typeof fixture.transactions;
  let realtime: typeof fixture.realtime;
  let clock: typeof fixture.clock;
  let answers: typeof fixture.answers;

  beforeEach(() => {
    fixture = newMessagesService();
    ({ sut, messages, attachmentsService, transactions, realtime, clock, answers } = fixture);
  });

  describe('send', () => {
    const sendParams = (call = 0) => messages.send.mock.calls[call][0];

    it('passes the message to send_message in one statement, with no transaction', async () => {
      clock.advance(5_000);
      answers('created', aMessage());

      await sut.send(CALLER, CONVERSATION, aDto({ expiresInSeconds: 60, expiryMode: 'afterRead' }));

      expect(messages.send).toHaveBeenCalledTimes(1);
      expect(messages.send).toHaveBeenCalledWith(
        ['session-1', 3, CONVERSATION, ALICE, CLIENT_ID, 'hello', null, 'message', null, new Date(START.getTime() + 5_000), true, 60, 'afterRead'],
        undefined,
      );
      expect(transactions.run).not.toHaveBeenCalled();
    });

    it('tells send_message whether a timer was given: left out takes the default, null means none', async () => {
      answers('created', aMessage());
      answers('created', aMessage());

      await sut.send(CALLER, CONVERSATION, aDto());
      await sut.send(CALLER, CONVERSATION, aDto({ expiresInSeconds: null, body: '' }));

      expect(sendParams(0).slice(5)).toEqual(['hello', null, 'message', null, START, false, null, null]);
      expect(sendParams(1).slice(5)).toEqual([null, null, 'message', null, START, true, null, null]);
    });

    it("returns the stored row with created:true and announces it to both members, but to the sender's socket that sent it", async () => {
      const stored = aMessage({ expiresInSeconds: 60, expiryMode: 'afterSend', expiresAt: new Date(START.getTime() + 60_000) });
      answers('created', stored);

      const result = await sut.send(CALLER, CONVERSATION, aDto(), 'socket-1');

      expect(result).toEqual({ message: toMessageDto(stored), created: true });
      expect(realtime.messageCreated).toHaveBeenCalledTimes(1);
      expect(realtime.messageCreated).toHaveBeenCalledWith([ALICE, BOB], result.message, 'socket-1');
    });

    it('passes a ciphertext, the kind and relatesTo to send_message', async () => {
      answers('created', aMessage({ body: null, ciphertext: MEGOLM, kind: 'reaction', relatesTo: 'message-0' }));

      const { message } = await sut.send(CALLER, CONVERSATION, aDto({ body: undefined, ciphertext: MEGOLM, kind: 'reaction', relatesTo: 'message-0' }));

      expect(sendParams(0).slice(5, 9)).toEqual([null, MEGOLM, 'reaction', 'message-0']);
      expect(message).toMatchObject({ body: null, ciphertext: MEGOLM, kind: 'reaction', relatesTo: 'message-0', senderDeviceId: 'session-1' });
    });

    it('answers CIPHERTEXT_TOO_LARGE (413) for a ciphertext over 64 KiB, before calling send_message', async () => {
      const error = await rejection(sut.send(CALLER, CONVERSATION, aDto({ body: undefined, ciphertext: { ...MEGOLM, ciphertext: 'A'.repeat(65_536) } })));

      expect(error.getStatus()).toBe(413);
      expect(error.getResponse()).toMatchObject({ code: 'CIPHERTEXT_TOO_LARGE' });
      expect(messages.send).not.toHaveBeenCalled();
    });

    it('passes no session when the process sends for a user itself', async () => {
      answers('created', aMessage());

      await sut.send(asProcess(ALICE), CONVERSATION, aDto());

      expect(sendParams(0).slice(0, 4)).toEqual([null, null, CONVERSATION, ALICE]);
    });

    it.each([
      ['SESSION_REVOKED', UnauthorizedException],
      ['CONVERSATION_NOT_FOUND', NotFoundException],
      ['PEER_GONE', ForbiddenException],
      ['BLOCKED', ForbiddenException],
      ['NOT_FRIENDS', ForbiddenException],
      ['ENCRYPTION_MISMATCH', BadRequestException],
      ['RELATED_MESSAGE_NOT_FOUND', BadRequestException],
    ] as const)('answers %s when send_message refuses, and announces nothing', async (code, type) => {
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

        expect(transactions.run).toHaveBeenCalledTimes(1);
        expect(messages.send).toHaveBeenCalledWith(expect.any(Array), transactions.tx);
        expect(attachmentsService.attach).toHaveBeenCalledWith(transactions.tx, ALICE, 'message-1', ['file-1', 'file-2']);
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

      it('rolls the message back with ENCRYPTION_MISMATCH when a plaintext message carries an encrypted blob', async () => {
        answers('created', aMessage());
        attachmentsService.attach.mockResolvedValueOnce([
          Object.assign(new Attachment(), { id: 'file-1', kind: 'encrypted', messageId: 'message-1', position: 0, createdAt: START }),
        ]);

        const error = await rejection(sut.send(CALLER, CONVERSATION, aDto({ attachmentIds: ['file-1'] })));

        expect(error.getResponse()).toMatchObject({ code: 'ENCRYPTION_MISMATCH' });
        expect(transactions.state.rolledBack).toBe(true);
        expect(realtime.messageCreated).not.toHaveBeenCalled();
      });

      it('rolls the message back with ENCRYPTION_MISMATCH when an encrypted message carries a plaintext file', async () => {
        answers('created', aMessage({ body: null, ciphertext: MEGOLM }));
        attachmentsService.attach.mockResolvedValueOnce([
          Object.assign(new Attachment(), { id: 'file-1', kind: 'image', messageId: 'message-1', position: 0, createdAt: START }),
        ]);

        const error = await rejection(sut.send(CALLER, CONVERSATION, aDto({ body: undefined, ciphertext: MEGOLM, attachmentIds: ['file-1'] })));

        expect(error.getResponse()).toMatchObject({ code: 'ENCRYPTION_MISMATCH' });
        expect(transactions.state.rolledBack).toBe(true);
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
      // As the repository reports it: pg's DatabaseError with the SQLSTATE the function raised, in a QueryFailedError.
      const raced = new QueryFailedError('send_message', [], Object.assign(new Error('clientId was used by a concurrent send'), { code: 'IR409' }));

      it('answers the winner with created:false', async () => {
        const winner = aMessage({ id: 'winner', seq: 7 });
        messages.send.mockRejectedValueOnce(raced);
        messages.findOne.mockResolvedValueOnce(winner);

        await expect(sut.send(CALLER, CONVERSATION, aDto())).resolves.toEqual({ message: toMessageDto(winner), created: false });
        expect(realtime.messageCreated).not.toHaveBeenCalled();
        expect(messages.findOne).toHaveBeenCalledWith({ senderId: ALICE, clientId: CLIENT_ID });
      });

      it('answers CLIENT_ID_CONFLICT when the winner has another body', async () => {
        messages.send.mockRejectedValueOnce(raced);
        messages.findOne.mockResolvedValueOnce(aMessage({ id: 'winner', body: 'the other one' }));

        const error = await rejection(sut.send(CALLER, CONVERSATION, aDto()));

        expect(error).toBeInstanceOf(ConflictException);
        expect(error.getResponse()).toMatchObject({ code: 'CLIENT_ID_CONFLICT' });
      });
    });

    it('rethrows other database errors unchanged', async () => {
      const lost = new Error('connection lost');
      messages.send.mockRejectedValueOnce(new QueryFailedError('send_message', [], lost));

      await expect(sut.send(CALLER, CONVERSATION, aDto())).rejects.toMatchObject({ driverError: lost });
      expect(messages.findOne).not.toHaveBeenCalled();
    });
  });

  describe('history', () => {
    const rowsOf = (...values: number[]) => values.map((seq) => ({ ...asRow(aMessage({ id: `message-${seq}`, seq })), attachments: null }) as never);
    /** The prepared statement the repository runs for the first call, and its parameters. */
    const historyCall = () => {
      const [direction, conversationId, userId, seq, now, limit] = messages.history.mock.calls[0];
      return { name: `messages_history_${direction}`, values: [conversationId, userId, seq, now, limit] };
    };

    it('answers VALIDATION_FAILED for before and after together, before any query', async () => {
      const error = await rejection(sut.history(ALICE, CONVERSATION, { before: 10, after: 2 }, 50));

      expect(error).toBeInstanceOf(BadRequestException);
      expect(error.getResponse()).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(messages.history).not.toHaveBeenCalled();
    });

    it('answers CONVERSATION_NOT_FOUND when the statement finds no membership row', async () => {
      messages.history.mockResolvedValueOnce([]);

      const error = await rejection(sut.history(ALICE, CONVERSATION, {}, 50));

      expect(error).toBeInstanceOf(NotFoundException);
      expect(error.getResponse()).toMatchObject({ code: 'CONVERSATION_NOT_FOUND' });
    });

    it('pages backwards from the newest message, hiding what expired by now, asking for one row more than the page', async () => {
      messages.history.mockResolvedValueOnce(rowsOf(1));

      await sut.history(ALICE, CONVERSATION, {}, 2);

      expect(historyCall()).toMatchObject({ name: 'messages_history_before', values: [CONVERSATION, ALICE, 2 ** 31 - 1, START, 3] });
    });

    it('returns the items oldest first with the seq of the oldest as cursor when paging backwards', async () => {
      messages.history.mockResolvedValueOnce(rowsOf(9, 8, 7));

      const page = await sut.history(ALICE, CONVERSATION, { before: 10 }, 2);

      expect(historyCall()).toMatchObject({ name: 'messages_history_before', values: [CONVERSATION, ALICE, 10, START, 3] });
      expect(page.items.map((item) => item.seq)).toEqual([8, 9]);
      expect(page.nextCursor).toBe('8');
    });

    it('returns no cursor when no extra row came back when paging backwards', async () => {
      messages.history.mockResolvedValueOnce(rowsOf(2, 1));

      const page = await sut.history(ALICE, CONVERSATION, { before: 3 }, 2);

      expect(page.items.map((item) => item.seq)).toEqual([1, 2]);
      expect(page.nextCursor).toBeNull();
    });

    it('returns the items oldest first with the seq of the newest as cursor when paging forwards', async () => {
      messages.history.mockResolvedValueOnce(rowsOf(4, 5, 6));

      const page = await sut.history(ALICE, CONVERSATION, { after: 3 }, 2);

      expect(historyCall()).toMatchObject({ name: 'messages_history_after', values: [CONVERSATION, ALICE, 3, START, 3] });
      expect(page.items.map((item) => item.seq)).toEqual([4, 5]);
      expect(page.nextCursor).toBe('5');
    });

    it('pages forwards from the start with after=0', async () => {
      messages.history.mockResolvedValueOnce(rowsOf(1, 2));

      const page = await sut.history(ALICE, CONVERSATION, { after: 0 }, 2);

      expect(historyCall()).toMatchObject({ values: [CONVERSATION, ALICE, 0, START, 3] });
      expect(page.items.map((item) => item.seq)).toEqual([1, 2]);
      expect(page.nextCursor).toBeNull();
    });

    it('returns an empty page without a cursor for a member of an empty conversation', async () => {
      const noMessage = Object.fromEntries(Object.keys(asRow(aMessage())).map((key) => [key, null]));
      messages.history.mockResolvedValueOnce([{ ...noMessage, attachments: null } as never]);

      await expect(sut.history(ALICE, CONVERSATION, {}, 50)).resolves.toEqual({ items: [], nextCursor: null });
    });

    it('answers each message with its attachments', async () => {
      const file = {
        id: 'file-1', uploader_id: ALICE, message_id: 'message-3', position: 0, kind: 'image', mime_type: 'image/png', size: 10,
        name: 'a.png', width: 4, height: 3, duration_seconds: null, storage_key: 'originals/file-1', thumbnail_key: 'thumbnails/file-1',
        created_at: START.toISOString(),
      };
      messages.history.mockResolvedValueOnce([{ ...asRow(aMessage({ id: 'message-3', seq: 3 })), attachments: [file] } as never]);

      const page = await sut.history(ALICE, CONVERSATION, {}, 50);

      expect(page.items[0].attachments).toEqual([
        expect.objectContaining({ id: 'file-1', kind: 'image', width: 4, url: '/api/attachments/file-1', thumbnailUrl: '/api/attachments/file-1/thumbnail' }),
      ]);
    });
  });

});
