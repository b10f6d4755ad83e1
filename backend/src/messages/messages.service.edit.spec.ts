import { ConflictException, ForbiddenException, NotFoundException } from '@nestjs/common';
import { toMessageDto } from './dto/message.dto.js';
import type { MessagesService } from './messages.service.js';
import { ALICE, BOB, CONVERSATION, MEGOLM, START, aMessage, newMessagesService } from '../../test/helpers/messages-service.js';
import { rejection } from '../../test/helpers/rejection.js';

describe('MessagesService changes to sent messages', () => {
  let fixture: ReturnType<typeof newMessagesService>;
  let sut: MessagesService;
  let messages: typeof fixture.messages;
  let conversationsService: typeof fixture.conversationsService;
  let attachmentsService: typeof fixture.attachmentsService;
  let transactions: typeof fixture.transactions;
  let realtime: typeof fixture.realtime;

  beforeEach(() => {
    fixture = newMessagesService();
    ({ sut, messages, conversationsService, attachmentsService, transactions, realtime } = fixture);
  });

  describe('edit', () => {
    it('writes the new body with editedAt, guarded in SQL, and returns the re-read message', async () => {
      messages.findVisible.mockResolvedValueOnce(aMessage());
      const edited = aMessage({ body: 'edited', editedAt: START });
      messages.findOne.mockResolvedValueOnce(edited);

      await expect(sut.edit(ALICE, 'message-1', { body: 'edited' })).resolves.toEqual(toMessageDto(edited));
      expect(messages.findVisible).toHaveBeenCalledWith(ALICE, 'message-1', START);
      expect(conversationsService.assertCanWrite).toHaveBeenCalledWith(ALICE, BOB, transactions.tx);
      expect(messages.edit).toHaveBeenCalledWith(transactions.tx, 'message-1', { body: 'edited', ciphertext: null }, START);
      expect(messages.findOne).toHaveBeenCalledWith({ id: 'message-1' });
      expect(realtime.messageUpdated).toHaveBeenCalledWith([ALICE, BOB], toMessageDto(edited));
    });

    it('replaces the ciphertext (and clears any body) in an encrypted conversation, under its share lock', async () => {
      messages.findVisible.mockResolvedValueOnce(aMessage());
      conversationsService.lockEncrypted.mockResolvedValueOnce(true);

      await sut.edit(ALICE, 'message-1', { ciphertext: MEGOLM });

      expect(conversationsService.lockEncrypted).toHaveBeenCalledWith(transactions.tx, CONVERSATION);
      expect(messages.edit).toHaveBeenCalledWith(transactions.tx, 'message-1', { body: null, ciphertext: MEGOLM }, START);
    });

    it.each([
      ['a body in an encrypted conversation', true, { body: 'edited' }],
      ['a ciphertext in a plaintext conversation', false, { ciphertext: MEGOLM }],
      ['both', true, { body: 'edited', ciphertext: MEGOLM }],
    ])('answers ENCRYPTION_MISMATCH for %s, and writes nothing', async (_name, encrypted, dto) => {
      messages.findVisible.mockResolvedValueOnce(aMessage());
      conversationsService.lockEncrypted.mockResolvedValueOnce(encrypted);

      const error = await rejection(sut.edit(ALICE, 'message-1', dto));

      expect(error.getResponse()).toMatchObject({ code: 'ENCRYPTION_MISMATCH' });
      expect(messages.edit).not.toHaveBeenCalled();
      expect(realtime.messageUpdated).not.toHaveBeenCalled();
    });

    it('answers MESSAGE_NOT_FOUND for a message the caller cannot see', async () => {
      const error = await rejection(sut.edit(ALICE, 'message-1', { body: 'edited' }));

      expect(error).toBeInstanceOf(NotFoundException);
      expect(error.getResponse()).toMatchObject({ code: 'MESSAGE_NOT_FOUND' });
      expect(messages.edit).not.toHaveBeenCalled();
    });

    it('answers NOT_MESSAGE_SENDER for the other member', async () => {
      messages.findVisible.mockResolvedValueOnce(aMessage({ senderId: BOB }));

      const error = await rejection(sut.edit(ALICE, 'message-1', { body: 'edited' }));

      expect(error).toBeInstanceOf(ForbiddenException);
      expect(error.getResponse()).toMatchObject({ code: 'NOT_MESSAGE_SENDER' });
      expect(messages.edit).not.toHaveBeenCalled();
    });

    it('answers MESSAGE_NOT_EDITABLE for a deleted message', async () => {
      messages.findVisible.mockResolvedValueOnce(aMessage({ body: null, deletedAt: START }));

      const error = await rejection(sut.edit(ALICE, 'message-1', { body: 'edited' }));

      expect(error).toBeInstanceOf(ConflictException);
      expect(error.getResponse()).toMatchObject({ code: 'MESSAGE_NOT_EDITABLE' });
      expect(messages.edit).not.toHaveBeenCalled();
    });

    it('answers MESSAGE_NOT_EDITABLE when the message was deleted or expired between the read and the update', async () => {
      messages.findVisible.mockResolvedValueOnce(aMessage());
      messages.edit.mockResolvedValueOnce(false);

      const error = await rejection(sut.edit(ALICE, 'message-1', { body: 'edited' }));

      expect(error).toBeInstanceOf(ConflictException);
      expect(error.getResponse()).toMatchObject({ code: 'MESSAGE_NOT_EDITABLE' });
    });

    it('writes nothing when the caller may no longer write to the conversation', async () => {
      messages.findVisible.mockResolvedValueOnce(aMessage());
      const blocked = new ForbiddenException({ code: 'BLOCKED' });
      conversationsService.assertCanWrite.mockRejectedValueOnce(blocked);

      await expect(sut.edit(ALICE, 'message-1', { body: 'edited' })).rejects.toBe(blocked);
      expect(messages.edit).not.toHaveBeenCalled();
      expect(realtime.messageUpdated).not.toHaveBeenCalled();
    });
  });

  describe('delete', () => {
    it('clears the body, stamps deletedAt and deletes the attachments in one transaction, then removes their files and sends both members the tombstone', async () => {
      messages.findVisible.mockResolvedValueOnce(aMessage());

      await sut.delete(ALICE, 'message-1');

      expect(transactions.run).toHaveBeenCalledTimes(1);
      expect(messages.tombstone).toHaveBeenCalledWith(transactions.tx, 'message-1', START);
      expect(attachmentsService.deleteForMessage).toHaveBeenCalledWith(transactions.tx, 'message-1');
      expect(attachmentsService.purgeKeys).toHaveBeenCalledWith(['originals/a', 'thumbnails/a']);
      expect(transactions.state.rolledBack).toBe(false);
      expect(attachmentsService.deleteForMessage.mock.invocationCallOrder[0]).toBeLessThan(attachmentsService.purgeKeys.mock.invocationCallOrder[0]);
      expect(realtime.messageDeleted).toHaveBeenCalledWith([ALICE, BOB], toMessageDto(aMessage({ body: null, deletedAt: START })));
      expect(realtime.messageDeleted.mock.calls[0][1]).toMatchObject({ deleted: true, body: null, attachments: [] });
    });

    it('answers NOT_MESSAGE_SENDER for the other member', async () => {
      messages.findVisible.mockResolvedValueOnce(aMessage({ senderId: BOB }));

      const error = await rejection(sut.delete(ALICE, 'message-1'));

      expect(error).toBeInstanceOf(ForbiddenException);
      expect(error.getResponse()).toMatchObject({ code: 'NOT_MESSAGE_SENDER' });
      expect(messages.tombstone).not.toHaveBeenCalled();
      expect(attachmentsService.deleteForMessage).not.toHaveBeenCalled();
    });

    it('does nothing for a message already deleted', async () => {
      messages.findVisible.mockResolvedValueOnce(aMessage({ body: null, deletedAt: new Date(START.getTime() - 1000) }));

      await expect(sut.delete(ALICE, 'message-1')).resolves.toBeUndefined();
      expect(messages.tombstone).not.toHaveBeenCalled();
      expect(realtime.messageDeleted).not.toHaveBeenCalled();
    });

    it('replaces the ciphertext (and clears any body) in an encrypted conversation, under its share lock', async () => {
      messages.findVisible.mockResolvedValueOnce(aMessage());
      conversationsService.lockEncrypted.mockResolvedValueOnce(true);

      await sut.edit(ALICE, 'message-1', { ciphertext: MEGOLM });

      expect(conversationsService.lockEncrypted).toHaveBeenCalledWith(transactions.tx, CONVERSATION);
      expect(messages.edit).toHaveBeenCalledWith(transactions.tx, 'message-1', { body: null, ciphertext: MEGOLM }, START);
    });

    it.each([
      ['a body in an encrypted conversation', true, { body: 'edited' }],
      ['a ciphertext in a plaintext conversation', false, { ciphertext: MEGOLM }],
      ['both', true, { body: 'edited', ciphertext: MEGOLM }],
    ])('answers ENCRYPTION_MISMATCH for %s, and writes nothing', async (_name, encrypted, dto) => {
      messages.findVisible.mockResolvedValueOnce(aMessage());
      conversationsService.lockEncrypted.mockResolvedValueOnce(encrypted);

      const error = await rejection(sut.edit(ALICE, 'message-1', dto));

      expect(error.getResponse()).toMatchObject({ code: 'ENCRYPTION_MISMATCH' });
      expect(messages.edit).not.toHaveBeenCalled();
      expect(realtime.messageUpdated).not.toHaveBeenCalled();
    });

    it('answers MESSAGE_NOT_FOUND for a message the caller cannot see', async () => {
      const error = await rejection(sut.delete(ALICE, 'message-1'));

      expect(error).toBeInstanceOf(NotFoundException);
      expect(error.getResponse()).toMatchObject({ code: 'MESSAGE_NOT_FOUND' });
    });
  });

  describe('markRead', () => {
    it('answers MESSAGE_NOT_FOUND for a message of another conversation', async () => {
      messages.findVisible.mockResolvedValueOnce(aMessage({ conversationId: 'conversation-2', senderId: BOB }));

      const error = await rejection(sut.markRead(ALICE, CONVERSATION, 'message-1'));

      expect(error).toBeInstanceOf(NotFoundException);
      expect(error.getResponse()).toMatchObject({ code: 'MESSAGE_NOT_FOUND' });
      expect(transactions.run).not.toHaveBeenCalled();
    });

    it('moves the marker forward (the conversations service locks the row) and starts the afterRead timers it passes, in one transaction', async () => {
      messages.findVisible.mockResolvedValueOnce(aMessage({ senderId: BOB, seq: 7 }));
      conversationsService.advanceReadMarker.mockResolvedValueOnce(3);

      await sut.markRead(ALICE, CONVERSATION, 'message-1');

      expect(conversationsService.getMembership).toHaveBeenCalledWith(ALICE, CONVERSATION);
      expect(conversationsService.advanceReadMarker).toHaveBeenCalledWith(transactions.tx, ALICE, CONVERSATION, 7);
      expect(messages.startReadTimers).toHaveBeenCalledWith(transactions.tx, CONVERSATION, ALICE, 3, 7, START);
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
      messages.findVisible.mockResolvedValueOnce(aMessage({ senderId: BOB, seq: 7 }));
      // The conversations service leaves a marker at or past the message where it is.
      conversationsService.advanceReadMarker.mockImplementationOnce(async (_tx, _user, _conversation, seq) => (lastReadSeq >= seq ? null : lastReadSeq));

      await sut.markRead(ALICE, CONVERSATION, 'message-1');

      expect(messages.startReadTimers).not.toHaveBeenCalled();
      expect(realtime.conversationRead).not.toHaveBeenCalled();
    });

    it('replaces the ciphertext (and clears any body) in an encrypted conversation, under its share lock', async () => {
      messages.findVisible.mockResolvedValueOnce(aMessage());
      conversationsService.lockEncrypted.mockResolvedValueOnce(true);

      await sut.edit(ALICE, 'message-1', { ciphertext: MEGOLM });

      expect(conversationsService.lockEncrypted).toHaveBeenCalledWith(transactions.tx, CONVERSATION);
      expect(messages.edit).toHaveBeenCalledWith(transactions.tx, 'message-1', { body: null, ciphertext: MEGOLM }, START);
    });

    it.each([
      ['a body in an encrypted conversation', true, { body: 'edited' }],
      ['a ciphertext in a plaintext conversation', false, { ciphertext: MEGOLM }],
      ['both', true, { body: 'edited', ciphertext: MEGOLM }],
    ])('answers ENCRYPTION_MISMATCH for %s, and writes nothing', async (_name, encrypted, dto) => {
      messages.findVisible.mockResolvedValueOnce(aMessage());
      conversationsService.lockEncrypted.mockResolvedValueOnce(encrypted);

      const error = await rejection(sut.edit(ALICE, 'message-1', dto));

      expect(error.getResponse()).toMatchObject({ code: 'ENCRYPTION_MISMATCH' });
      expect(messages.edit).not.toHaveBeenCalled();
      expect(realtime.messageUpdated).not.toHaveBeenCalled();
    });

    it('answers MESSAGE_NOT_FOUND for a message the caller cannot see', async () => {
      const error = await rejection(sut.markRead(ALICE, CONVERSATION, 'message-1'));

      expect(error.getResponse()).toMatchObject({ code: 'MESSAGE_NOT_FOUND' });
      expect(transactions.run).not.toHaveBeenCalled();
    });
  });
});
