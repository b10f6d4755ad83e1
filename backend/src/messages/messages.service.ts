import { BadRequestException, ConflictException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { AttachmentsService } from '../attachments/attachments.service.js';
import { attachmentFromRow, type AttachmentRow } from '../attachments/attachment.entity.js';
import type { AttachmentDto } from '../attachments/dto/attachment.dto.js';
import { toAttachmentDto } from '../attachments/dto/attachment.dto.js';
import { sessionRevoked } from '../auth/auth.service.js';
import { Clock } from '../common/clock.js';
import type { TokenClaims } from '../common/current-user.decorator.js';
import { prepared, runPrepared } from '../database/prepared.js';
import { ConversationMember } from '../conversations/conversation-member.entity.js';
import { blocked, conversationNotFound, ConversationsService, notFriends, peerGone } from '../conversations/conversations.service.js';
import { RealtimeService } from '../realtime/realtime.service.js';
import {
  type HistoryQueryDto,
  MAX_SEQ,
  type MessageDto,
  messageFromRow,
  type MessagePageDto,
  type MessageRow,
  type SendMessageDto,
  toMessageDto,
} from './dto/message.dto.js';
import { Message } from './message.entity.js';

const messageNotFound = () => new NotFoundException({ code: 'MESSAGE_NOT_FOUND', message: 'Message not found' });
const notYours = () => new ForbiddenException({ code: 'NOT_MESSAGE_SENDER', message: 'Only the sender can change a message' });

/**
 * Who sends: the token claims of a request, whose session `send_message` checks, or `asProcess(userId)`
 * when the process itself sends for a user (the seed), with no request and no session.
 */
export type Sender = TokenClaims | { userId: string; sessionId: null; tokenVersion: null };

export const asProcess = (userId: string): Sender => ({ userId, sessionId: null, tokenVersion: null });

/** The SQLSTATE `send_message` raises when a concurrent send inserted the same clientId first. */
const CONCURRENT_CLIENT_ID = 'IR409';

type SendOutcome =
  | { outcome: 'created' | 'replayed'; peerId: string; message: Message }
  | { outcome: 'SESSION_REVOKED' | 'CONVERSATION_NOT_FOUND' | 'PEER_GONE' | 'BLOCKED' | 'NOT_FRIENDS' };

export const SEND_MESSAGE = prepared('messages_send', 'SELECT outcome, peer_id, message FROM send_message($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)');

async function sendMessage(manager: EntityManager, params: unknown[]): Promise<SendOutcome> {
  const [row] = await runPrepared<{ outcome: SendOutcome['outcome']; peer_id: string | null; message: MessageRow | null }>(
    manager,
    SEND_MESSAGE,
    params,
  );
  if (row.outcome === 'created' || row.outcome === 'replayed') {
    return { outcome: row.outcome, peerId: row.peer_id!, message: messageFromRow(row.message!) };
  }
  return { outcome: row.outcome };
}

/**
 * A page of history in one statement: the membership check (no row: not a member), up to `$5` messages
 * before or after seq `$3` that have not expired at `$4`, each with its attachments. Prepared
 * (database/prepared.ts): it runs every time a conversation is opened or scrolled.
 */
function historySql(direction: 'before' | 'after'): string {
  const [comparison, order] = direction === 'before' ? ['<', 'DESC'] : ['>', 'ASC'];
  return `SELECT page.id, page.conversation_id, page.seq, page.sender_id, page.client_id, page.body, page.created_at,
            page.edited_at, page.deleted_at, page.expires_in_seconds, page.expiry_mode, page.expires_at,
            (SELECT jsonb_agg(to_jsonb(a) ORDER BY a.position) FROM attachments a WHERE a.message_id = page.id) AS attachments
       FROM conversation_members member
       LEFT JOIN LATERAL (
         SELECT m.* FROM messages m
          WHERE m.conversation_id = member.conversation_id AND m.seq ${comparison} $3
            AND (m.expires_at IS NULL OR m.expires_at > $4)
          ORDER BY m.seq ${order}
          LIMIT $5
       ) page ON true
      WHERE member.conversation_id = $1 AND member.user_id = $2
      ORDER BY page.seq ${order}`;
}

export const HISTORY_BEFORE = prepared('messages_history_before', historySql('before'));
export const HISTORY_AFTER = prepared('messages_history_after', historySql('after'));

type HistoryRow = MessageRow & { id: string | null; seq: number; attachments: AttachmentRow[] | null };

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
   * The rules run in the database as one statement, `send_message` (migration SendMessageFunction),
   * the session check included (the route is @SessionCheckedByHandler): one round trip instead of
   * nine. With attachments it runs in a transaction with the attach, so a message never appears
   * without the files it was sent with.
   */
  async send(caller: Sender, conversationId: string, dto: SendMessageDto): Promise<{ message: MessageDto; created: boolean }> {
    const { userId } = caller;
    const attachmentIds = dto.attachmentIds ?? [];
    const params = [
      caller.sessionId,
      caller.tokenVersion,
      conversationId,
      userId,
      dto.clientId,
      dto.body || null,
      this.clock.now(),
      dto.expiresInSeconds !== undefined,
      dto.expiresInSeconds ?? null,
      dto.expiryMode ?? null,
    ];
    let outcome: SendOutcome;
    let attachments: AttachmentDto[] = [];
    try {
      if (attachmentIds.length === 0) {
        outcome = await sendMessage(this.dataSource.manager, params);
      } else {
        outcome = await this.dataSource.transaction(async (manager) => {
          const result = await sendMessage(manager, params);
          if (result.outcome === 'created') {
            attachments = (await this.attachmentsService.attach(manager, userId, result.message.id, attachmentIds)).map(toAttachmentDto);
          }
          return result;
        });
      }
    } catch (error) {
      if ((error as { driverError?: { code?: string } }).driverError?.code !== CONCURRENT_CLIENT_ID) throw error;
      // A concurrent retry inserted the same clientId first; the seq this send took was rolled back.
      const winner = await this.dataSource.getRepository(Message).findOneByOrFail({ senderId: userId, clientId: dto.clientId });
      return { message: await this.replay(winner, conversationId, dto), created: false };
    }
    switch (outcome.outcome) {
      case 'created': {
        const message = toMessageDto(outcome.message, attachments);
        this.realtime.messageCreated([userId, outcome.peerId], message);
        return { message, created: true };
      }
      case 'replayed':
        return { message: await this.replay(outcome.message, conversationId, dto), created: false };
      case 'SESSION_REVOKED':
        throw sessionRevoked();
      case 'CONVERSATION_NOT_FOUND':
        throw conversationNotFound();
      case 'PEER_GONE':
        throw peerGone();
      case 'BLOCKED':
        throw blocked();
      case 'NOT_FRIENDS':
        throw notFriends();
    }
  }

  /** A page of history, oldest first: the newest page, or the page before/after a `seq`. */
  async history(userId: string, conversationId: string, query: HistoryQueryDto, limit: number): Promise<MessagePageDto> {
    if (query.before !== undefined && query.after !== undefined) {
      throw new BadRequestException({ code: 'VALIDATION_FAILED', message: 'Give before or after, not both' });
    }
    const forwards = query.after !== undefined;
    const rows = await runPrepared<HistoryRow>(this.dataSource.manager, forwards ? HISTORY_AFTER : HISTORY_BEFORE, [
      conversationId,
      userId,
      forwards ? query.after : (query.before ?? MAX_SEQ),
      this.clock.now(),
      limit + 1,
    ]);
    // No row at all: not a member. One row without a message: a member of an empty page.
    if (rows.length === 0) throw conversationNotFound();
    const page = rows.filter((row) => row.id !== null).slice(0, limit);
    const hasMore = rows.length > limit;
    if (!forwards) page.reverse();
    const edge = forwards ? page[page.length - 1] : page[0];
    return {
      items: page.map((row) => toMessageDto(messageFromRow(row), (row.attachments ?? []).map((a) => toAttachmentDto(attachmentFromRow(a))))),
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
