import { BadRequestException, ConflictException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AttachmentsService } from '../attachments/attachments.service.js';
import type { AttachmentDto } from '../attachments/dto/attachment.dto.js';
import { toAttachmentDto } from '../attachments/dto/attachment.dto.js';
import { Clock } from '../common/clock.js';
import { ConversationMember } from '../conversations/conversation-member.entity.js';
import { ConversationsService } from '../conversations/conversations.service.js';
import { RealtimeService } from '../realtime/realtime.service.js';
import {
  type HistoryQueryDto,
  MAX_SEQ,
  type MessageDto,
  messageFromRow,
  type MessagePageDto,
  type SendMessageDto,
  toMessageDto,
} from './dto/message.dto.js';
import { Message } from './message.entity.js';

const messageNotFound = () => new NotFoundException({ code: 'MESSAGE_NOT_FOUND', message: 'Message not found' });
const notYours = () => new ForbiddenException({ code: 'NOT_MESSAGE_SENDER', message: 'Only the sender can change a message' });

/** Raised inside the send transaction when a concurrent retry inserted the same clientId first. */
class DuplicateClientId extends Error {}

@Injectable()
export class MessagesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly conversationsService: ConversationsService,
    private readonly attachmentsService: AttachmentsService,
    private readonly clock: Clock,
    private readonly realtime: RealtimeService,
  ) {}

  /**
   * Sends a message. Idempotent per (sender, clientId): a retry returns the original (`created: false`).
   * The conversation row is locked to take the next `seq`, so seq order is commit order and a reader
   * paging with `after` never skips a message that commits late.
   */
  async send(userId: string, conversationId: string, dto: SendMessageDto): Promise<{ message: MessageDto; created: boolean }> {
    // Membership first: someone outside the conversation gets 404 whatever clientId they send.
    const { conversation, peerId } = await this.conversationsService.getMembership(userId, conversationId);
    const previous = await this.dataSource.getRepository(Message).findOneBy({ senderId: userId, clientId: dto.clientId });
    if (previous) return { message: await this.replay(previous, conversationId, dto), created: false };

    const expiresInSeconds = dto.expiresInSeconds !== undefined ? dto.expiresInSeconds : conversation.defaultExpiresInSeconds;
    const expiryMode = expiresInSeconds ? (dto.expiryMode ?? conversation.defaultExpiryMode) : null;
    const now = this.clock.now();

    try {
      const message = await this.dataSource.transaction(async (manager) => {
        await this.conversationsService.assertCanWrite(userId, peerId, manager);
        // For UPDATE … RETURNING, the postgres driver answers [rows, rowCount].
        const [[{ last_seq: seq }]]: [{ last_seq: number }[], number] = await manager.query(
          `UPDATE conversations SET last_seq = last_seq + 1, last_activity_at = $2 WHERE id = $1 RETURNING last_seq`,
          [conversationId, now],
        );
        const inserted = await manager
          .createQueryBuilder()
          .insert()
          .into(Message)
          .values({
            conversationId,
            seq,
            senderId: userId,
            clientId: dto.clientId,
            body: dto.body || null,
            createdAt: now,
            editedAt: null,
            deletedAt: null,
            expiresInSeconds,
            expiryMode,
            expiresAt: expiresInSeconds && expiryMode === 'afterSend' ? new Date(now.getTime() + expiresInSeconds * 1000) : null,
          })
          .orIgnore()
          .updateEntity(false)
          .returning('*')
          .execute();
        // Rolling back gives the seq back, so a lost race leaves no gap.
        if (inserted.raw.length === 0) throw new DuplicateClientId();
        const row = messageFromRow(inserted.raw[0]);
        const attachments = await this.attachmentsService.attach(manager, userId, row.id, dto.attachmentIds ?? []);
        return toMessageDto(row, attachments.map(toAttachmentDto));
      });
      this.realtime.messageCreated([userId, peerId], message);
      return { message, created: true };
    } catch (error) {
      if (!(error instanceof DuplicateClientId)) throw error;
      const winner = await this.dataSource.getRepository(Message).findOneByOrFail({ senderId: userId, clientId: dto.clientId });
      return { message: await this.replay(winner, conversationId, dto), created: false };
    }
  }

  /** A page of history, oldest first: the newest page, or the page before/after a `seq`. */
  async history(userId: string, conversationId: string, query: HistoryQueryDto, limit: number): Promise<MessagePageDto> {
    if (query.before !== undefined && query.after !== undefined) {
      throw new BadRequestException({ code: 'VALIDATION_FAILED', message: 'Give before or after, not both' });
    }
    await this.conversationsService.getMembership(userId, conversationId);
    const forwards = query.after !== undefined;
    const rows = await this.dataSource
      .getRepository(Message)
      .createQueryBuilder('m')
      .where('m.conversation_id = :conversationId', { conversationId })
      .andWhere(forwards ? 'm.seq > :seq' : 'm.seq < :seq', { seq: forwards ? query.after : (query.before ?? MAX_SEQ) })
      .andWhere('(m.expires_at IS NULL OR m.expires_at > :now)', { now: this.clock.now() })
      .orderBy('m.seq', forwards ? 'ASC' : 'DESC')
      .limit(limit + 1)
      .getMany();
    const page = rows.slice(0, limit);
    const hasMore = rows.length > limit;
    if (!forwards) page.reverse();
    const edge = forwards ? page[page.length - 1] : page[0];
    const attachments = await this.attachmentsService.forMessages(page.map((message) => message.id));
    return {
      items: page.map((message) => toMessageDto(message, attachments.get(message.id))),
      nextCursor: hasMore && edge ? String(edge.seq) : null,
    };
  }

  async edit(userId: string, messageId: string, body: string): Promise<MessageDto> {
    const message = await this.findVisible(userId, messageId);
    if (message.senderId !== userId) throw notYours();
    if (message.deletedAt) throw notEditable();
    const { peerId } = await this.conversationsService.getMembership(userId, message.conversationId);
    const now = this.clock.now();
    await this.dataSource.transaction(async (manager) => {
      await this.conversationsService.assertCanWrite(userId, peerId, manager);
      // Guarded again in SQL: a delete or the expiry may have happened since the read above.
      const updated = await manager
        .createQueryBuilder()
        .update(Message)
        .set({ body, editedAt: now })
        .where('id = :id AND deleted_at IS NULL AND (expires_at IS NULL OR expires_at > :now)', { id: messageId, now })
        .execute();
      if (!updated.affected) throw notEditable();
    });
    const edited = await this.withAttachments(await this.dataSource.getRepository(Message).findOneByOrFail({ id: messageId }));
    this.realtime.messageUpdated([userId, peerId], edited);
    return edited;
  }

  /** Deletes for everyone, leaving a tombstone. Always allowed to the sender, even after a block. Idempotent. */
  async delete(userId: string, messageId: string): Promise<void> {
    const message = await this.findVisible(userId, messageId);
    if (message.senderId !== userId) throw notYours();
    if (message.deletedAt) return;
    const deletedAt = this.clock.now();
    const files = await this.dataSource.transaction(async (manager) => {
      await manager.update(Message, { id: messageId }, { body: null, deletedAt });
      return this.attachmentsService.deleteForMessage(manager, messageId);
    });
    const { peerId } = await this.conversationsService.getMembership(userId, message.conversationId);
    this.realtime.messageDeleted([userId, peerId], toMessageDto({ ...message, body: null, deletedAt }));
    // Queued by the trigger in the transaction; removed now, or by the sweep if storage is slow or down.
    await this.attachmentsService.purgeKeys(files);
  }

  /**
   * Moves the caller's read marker forward to `messageId` (never back) and starts the clock of the
   * peer's `afterRead` messages it passes.
   */
  async markRead(userId: string, conversationId: string, messageId: string): Promise<void> {
    const { peerId } = await this.conversationsService.getMembership(userId, conversationId);
    const message = await this.findVisible(userId, messageId);
    if (message.conversationId !== conversationId) throw messageNotFound();
    const now = this.clock.now();
    const moved = await this.dataSource.transaction(async (manager) => {
      const member = await manager.findOne(ConversationMember, {
        where: { conversationId, userId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!member || member.lastReadSeq >= message.seq) return false;
      await manager.update(ConversationMember, { conversationId, userId }, { lastReadSeq: message.seq });
      await manager.query(
        `UPDATE messages SET expires_at = $5::timestamptz + expires_in_seconds * interval '1 second'
          WHERE conversation_id = $1 AND seq > $2 AND seq <= $3 AND sender_id <> $4
            AND expiry_mode = 'afterRead' AND expires_at IS NULL`,
        [conversationId, member.lastReadSeq, message.seq, userId, now],
      );
      return true;
    });
    if (moved) this.realtime.conversationRead([userId, peerId], { conversationId, userId, messageId, seq: message.seq, readAt: now });
  }

  /** A message in one of the caller's conversations that has not expired; 404 otherwise. */
  private async findVisible(userId: string, messageId: string): Promise<Message> {
    const message = await this.dataSource
      .getRepository(Message)
      .createQueryBuilder('m')
      .innerJoin(ConversationMember, 'cm', 'cm.conversation_id = m.conversation_id AND cm.user_id = :userId', { userId })
      .where('m.id = :messageId', { messageId })
      .andWhere('(m.expires_at IS NULL OR m.expires_at > :now)', { now: this.clock.now() })
      .getOne();
    if (!message) throw messageNotFound();
    return message;
  }

  /** The answer to a retried send: the original, unless the clientId was used for something else. */
  private async replay(previous: Message, conversationId: string, dto: SendMessageDto): Promise<MessageDto> {
    const attachments = (await this.attachmentsService.forMessages([previous.id])).get(previous.id) ?? [];
    const sameAttachments = sameIds(attachments, dto.attachmentIds ?? []);
    const expired = previous.expiresAt !== null && previous.expiresAt <= this.clock.now();
    const otherTimer =
      (dto.expiresInSeconds !== undefined && dto.expiresInSeconds !== previous.expiresInSeconds) ||
      (dto.expiryMode !== undefined && previous.expiryMode !== null && dto.expiryMode !== previous.expiryMode);
    if (previous.conversationId !== conversationId || previous.body !== (dto.body || null) || !sameAttachments || otherTimer || previous.deletedAt || expired) {
      throw new ConflictException({ code: 'CLIENT_ID_CONFLICT', message: 'This clientId was already used for another message' });
    }
    return toMessageDto(previous, attachments);
  }

  private async withAttachments(message: Message): Promise<MessageDto> {
    return toMessageDto(message, (await this.attachmentsService.forMessages([message.id])).get(message.id));
  }
}

function sameIds(attachments: AttachmentDto[], ids: string[]): boolean {
  return attachments.length === ids.length && attachments.every((attachment, index) => attachment.id === ids[index]);
}

function notEditable(): ConflictException {
  return new ConflictException({ code: 'MESSAGE_NOT_EDITABLE', message: 'A deleted message cannot be edited' });
}
