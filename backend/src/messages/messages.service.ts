import { Injectable } from '@nestjs/common';
import { attachmentFromRow } from '../attachments/attachment.entity.js';
import { AttachmentsService } from '../attachments/attachments.service.js';
import { type AttachmentDto, toAttachmentDto } from '../attachments/dto/attachment.dto.js';
import { sessionRevoked } from '../auth/errors.js';
import { Clock } from '../common/clock.js';
import type { TokenClaims } from '../common/current-user.decorator.js';
import { ConversationsService } from '../conversations/conversations.service.js';
import { conversationNotFound, writeRefused } from '../conversations/errors.js';
import { Transactions, type Tx } from '../database/transaction.js';
import { PushService } from '../push/push.service.js';
import { RealtimeService } from '../realtime/realtime.service.js';
import {
  type EditMessageDto,
  type EncryptedContent,
  type HistoryQueryDto,
  MAX_CIPHERTEXT_BYTES,
  MAX_SEQ,
  type MessageDto,
  messageFromRow,
  type MessagePageDto,
  type SendMessageDto,
  toMessageDto,
} from './dto/message.dto.js';
import {
  ciphertextTooLarge,
  clientIdConflict,
  encryptionMismatch,
  messageNotFound,
  notEditable,
  notYours,
  relatedMessageNotFound,
} from './errors.js';
import type { Message } from './message.entity.js';
import { MessagesRepository, type SendOutcomeRow, type SendParams } from './messages.repository.js';
import { validationFailed } from '../common/errors.js';

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
  | { outcome: Exclude<SendOutcomeRow['outcome'], 'created' | 'replayed'> };

@Injectable()
export class MessagesService {
  constructor(
    private readonly messages: MessagesRepository,
    private readonly transactions: Transactions,
    private readonly conversationsService: ConversationsService,
    private readonly attachmentsService: AttachmentsService,
    private readonly clock: Clock,
    private readonly realtime: RealtimeService,
    private readonly push: PushService,
  ) {}

  /**
   * Sends a message. Idempotent per (sender, clientId): a retry returns the original (`created: false`).
   * The rules run in the database as one statement, `send_message` (database/schema/messaging-functions.ts),
   * the session check included (the route is @SessionCheckedByHandler), in one round trip. With
   * attachments it runs in a transaction with the attach, so a message never appears
   * without the files it was sent with. `senderSocketId`: the sender's socket that sent it, which is not
   * sent the `message.created` (the sender's other sockets are).
   */
  async send(caller: Sender, conversationId: string, dto: SendMessageDto, senderSocketId?: string): Promise<{ message: MessageDto; created: boolean }> {
    const { userId } = caller;
    const attachmentIds = dto.attachmentIds ?? [];
    const ciphertext = dto.ciphertext ?? null;
    assertCiphertextSize(ciphertext);
    const params: SendParams = [
      caller.sessionId,
      caller.tokenVersion,
      conversationId,
      userId,
      dto.clientId,
      dto.body || null,
      ciphertext,
      dto.kind ?? 'message',
      dto.relatesTo ?? null,
      this.clock.now(),
      dto.expiresInSeconds !== undefined,
      dto.expiresInSeconds ?? null,
      dto.expiryMode ?? null,
    ];
    let outcome: SendOutcome;
    let attachments: AttachmentDto[] = [];
    try {
      if (attachmentIds.length === 0) {
        outcome = await this.sendMessage(params);
      } else {
        outcome = await this.transactions.run(async (tx) => {
          const result = await this.sendMessage(params, tx);
          if (result.outcome === 'created') {
            const attached = await this.attachmentsService.attach(tx, userId, result.message.id, attachmentIds);
            // Encrypted blobs in an encrypted conversation, never elsewhere; throwing rolls the send back.
            if (attached.some((attachment) => (attachment.kind === 'encrypted') !== (ciphertext !== null))) throw encryptionMismatch();
            attachments = attached.map(toAttachmentDto);
          }
          return result;
        });
      }
    } catch (error) {
      if ((error as { driverError?: { code?: string } }).driverError?.code !== CONCURRENT_CLIENT_ID) throw error;
      // A concurrent retry inserted the same clientId first; the seq this send took was rolled back.
      const winner = (await this.messages.findOne({ senderId: userId, clientId: dto.clientId }))!;
      return { message: await this.replay(winner, conversationId, dto), created: false };
    }
    switch (outcome.outcome) {
      case 'created': {
        const message = toMessageDto(outcome.message, attachments);
        this.realtime.messageCreated([userId, outcome.peerId], message, senderSocketId);
        if (message.kind === 'message') void this.push.messageCreated(outcome.peerId, conversationId);
        return { message, created: true };
      }
      case 'replayed':
        return { message: await this.replay(outcome.message, conversationId, dto), created: false };
      case 'SESSION_REVOKED':
        throw sessionRevoked();
      case 'CONVERSATION_NOT_FOUND':
        throw conversationNotFound();
      case 'ENCRYPTION_MISMATCH':
        throw encryptionMismatch();
      case 'RELATED_MESSAGE_NOT_FOUND':
        throw relatedMessageNotFound();
      case 'PEER_GONE':
      case 'BLOCKED':
      case 'NOT_FRIENDS':
        throw writeRefused(outcome.outcome);
    }
  }

  /** A page of history, oldest first: the newest page, or the page before/after a `seq`. */
  async history(userId: string, conversationId: string, query: HistoryQueryDto, limit: number): Promise<MessagePageDto> {
    if (query.before !== undefined && query.after !== undefined) {
      throw validationFailed('Give before or after, not both');
    }
    const forwards = query.after !== undefined;
    const seq = forwards ? query.after! : (query.before ?? MAX_SEQ);
    const rows = await this.messages.history(forwards ? 'after' : 'before', conversationId, userId, seq, this.clock.now(), limit + 1);
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

  /**
   * Replaces the content of your own message: a body in a plaintext conversation, a ciphertext in an
   * encrypted one (where an edit of a message from before encryption was on leaves it encrypted).
   */
  async edit(userId: string, messageId: string, { body, ciphertext }: EditMessageDto): Promise<MessageDto> {
    const message = await this.findVisible(userId, messageId);
    if (message.senderId !== userId) throw notYours();
    if (message.deletedAt) throw notEditable();
    assertCiphertextSize(ciphertext ?? null);
    const { peerId } = await this.conversationsService.getMembership(userId, message.conversationId);
    const now = this.clock.now();
    await this.transactions.run(async (tx) => {
      await this.conversationsService.assertCanWrite(userId, peerId, tx);
      const encrypted = await this.conversationsService.lockEncrypted(tx, message.conversationId);
      const content = encrypted
        ? ciphertext && body === undefined && { body: null, ciphertext }
        : body !== undefined && ciphertext === undefined && { body, ciphertext: null };
      if (!content) throw encryptionMismatch();
      // Guarded again in SQL: a delete or the expiry may have happened since the read above.
      if (!(await this.messages.edit(tx, messageId, content, now))) throw notEditable();
    });
    const edited = await this.withAttachments((await this.messages.findOne({ id: messageId }))!);
    this.realtime.messageUpdated([userId, peerId], edited);
    return edited;
  }

  /**
   * Deletes for everyone, leaving a tombstone without body or ciphertext; the reactions to it go too.
   * Always allowed to the sender, even after a block. Idempotent.
   */
  async delete(userId: string, messageId: string): Promise<void> {
    const message = await this.findVisible(userId, messageId);
    if (message.senderId !== userId) throw notYours();
    if (message.deletedAt) return;
    const deletedAt = this.clock.now();
    const files = await this.transactions.run(async (tx) => {
      await this.messages.tombstone(tx, messageId, deletedAt);
      return this.attachmentsService.deleteForMessage(tx, messageId);
    });
    const { peerId } = await this.conversationsService.getMembership(userId, message.conversationId);
    this.realtime.messageDeleted([userId, peerId], toMessageDto({ ...message, body: null, ciphertext: null, deletedAt }));
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
    const moved = await this.transactions.run(async (tx) => {
      const previous = await this.conversationsService.advanceReadMarker(tx, userId, conversationId, message.seq);
      if (previous === null) return false;
      await this.messages.startReadTimers(tx, conversationId, userId, previous, message.seq, now);
      return true;
    });
    if (moved) this.realtime.conversationRead([userId, peerId], { conversationId, userId, messageId, seq: message.seq, readAt: now });
  }

  /** A message in one of the caller's conversations that has not expired; 404 otherwise. */
  private async findVisible(userId: string, messageId: string): Promise<Message> {
    const message = await this.messages.findVisible(userId, messageId, this.clock.now());
    if (!message) throw messageNotFound();
    return message;
  }

  private async sendMessage(params: SendParams, tx?: Tx): Promise<SendOutcome> {
    const row = await this.messages.send(params, tx);
    if (row.outcome === 'created' || row.outcome === 'replayed') {
      return { outcome: row.outcome, peerId: row.peer_id!, message: messageFromRow(row.message!) };
    }
    return { outcome: row.outcome };
  }

  /** The message `senderId` sent with `clientId`, if any (the seed uses it to stay idempotent). */
  findByClientId(senderId: string, clientId: string): Promise<Message | null> {
    return this.messages.findOne({ senderId, clientId });
  }

  /** For an erasure, inside its transaction: how many messages the user sent. */
  erasureCount(tx: Tx, userId: string): Promise<number> {
    return this.messages.countOfSender(tx, userId);
  }

  /** For an export: messages with seq in (after, untilSeq], oldest first, that have not expired. */
  exportPage(conversationId: string, after: number, untilSeq: number, limit: number): Promise<Message[]> {
    return this.messages.page(conversationId, after, untilSeq, this.clock.now(), limit);
  }

  /** The answer to a retried send: the original, unless the clientId was used for something else (ids compare as UUIDs, in any case). */
  private async replay(previous: Message, conversationId: string, dto: SendMessageDto): Promise<MessageDto> {
    const attachments = (await this.attachmentsService.forMessages([previous.id])).get(previous.id) ?? [];
    const sameAttachments = sameIds(attachments, dto.attachmentIds ?? []);
    const expired = previous.expiresAt !== null && previous.expiresAt <= this.clock.now();
    const otherTimer =
      (dto.expiresInSeconds !== undefined && dto.expiresInSeconds !== previous.expiresInSeconds) ||
      (dto.expiryMode !== undefined && previous.expiryMode !== null && dto.expiryMode !== previous.expiryMode);
    const sameContent =
      previous.body === (dto.body || null) &&
      canonicalJson(previous.ciphertext) === canonicalJson(dto.ciphertext ?? null) &&
      previous.kind === (dto.kind ?? 'message') &&
      previous.relatesTo === (dto.relatesTo?.toLowerCase() ?? null);
    if (previous.conversationId !== conversationId.toLowerCase() || !sameContent || !sameAttachments || otherTimer || previous.deletedAt || expired) {
      throw clientIdConflict();
    }
    return toMessageDto(previous, attachments);
  }

  private async withAttachments(message: Message): Promise<MessageDto> {
    return toMessageDto(message, (await this.attachmentsService.forMessages([message.id])).get(message.id));
  }
}

/** 413 for a ciphertext over MAX_CIPHERTEXT_BYTES as JSON, before anything is read or written. */
function assertCiphertextSize(ciphertext: EncryptedContent | null): void {
  if (ciphertext && Buffer.byteLength(JSON.stringify(ciphertext)) > MAX_CIPHERTEXT_BYTES) throw ciphertextTooLarge(MAX_CIPHERTEXT_BYTES);
}

/** JSON with the keys in order, as jsonb keeps them, so a replayed ciphertext compares equal whatever its key order. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}

function sameIds(attachments: AttachmentDto[], ids: string[]): boolean {
  return attachments.length === ids.length && attachments.every((attachment, index) => attachment.id === ids[index].toLowerCase());
}
