import { Injectable } from '@nestjs/common';
import { attachmentFromRow } from '../attachments/attachment.entity.js';
import { toAttachmentDto } from '../attachments/dto/attachment.dto.js';
import { Clock } from '../common/clock.js';
import { AppConfig } from '../config/app-config.js';
import { decodeCursor, toPage } from '../common/pagination.js';
import { Transactions, type Tx } from '../database/transaction.js';
import { FriendsService } from '../friends/friends.service.js';
import { messageFromRow, toMessageDto } from './dto/message.dto.js';
import { RealtimeService } from '../realtime/realtime.service.js';
import { toUserSummaryDto } from '../users/dto/user.dto.js';
import type { ConversationReadOnly } from './dto/conversation.dto.js';
import { UsersService } from '../users/users.service.js';
import type { Conversation } from './conversation.entity.js';
import type { ConversationNotice } from './conversation-notice.entity.js';
import { ConversationNoticesRepository } from './conversation-notices.repository.js';
import { type ConversationNoticeDto, type ConversationNoticePageDto, toConversationNoticeDto } from './dto/conversation-notice.dto.js';
import { type ConversationRow, type ConversationSettings, ConversationsRepository, type ExportedConversationRow, type PushState } from './conversations.repository.js';
import { ConversationDto, ConversationPageDto, type CreateConversationDto, UpdateConversationDto } from './dto/conversation.dto.js';
import { blocked, cannotChatWithSelf, conversationNotFound, encryptionIrreversible, writeRefused } from './errors.js';

export type { ExportedConversationRow } from './conversations.repository.js';

/** A conversation as seen by one of its members. */
export interface Membership {
  conversation: Conversation;
  lastReadSeq: number;
  /** Null once the other account was erased. */
  peerId: string | null;
}

@Injectable()
export class ConversationsService {
  constructor(
    private readonly conversations: ConversationsRepository,
    private readonly notices: ConversationNoticesRepository,
    private readonly transactions: Transactions,
    private readonly friendsService: FriendsService,
    private readonly usersService: UsersService,
    private readonly clock: Clock,
    private readonly realtime: RealtimeService,
    private readonly config: AppConfig,
  ) {}

  /**
   * The conversation with `peerId`, created if needed (which needs friendship and no block), encrypted
   * as asked or else as E2EE_DEFAULT says. An existing one asked for `encrypted: true` has encryption
   * turned on (one-way) unless a block makes it read-only; asked for `false`, it is returned as it is.
   */
  async getOrCreate(
    userId: string,
    peerId: string,
    { encrypted }: Pick<CreateConversationDto, 'encrypted'> = {},
  ): Promise<{ conversation: ConversationDto; created: boolean }> {
    if (userId === peerId) throw cannotChatWithSelf();
    const [userAId, userBId] = [userId, peerId].sort();
    const existing = await this.conversations.findByPair(userAId, userBId);
    if (existing) return { conversation: await this.openExisting(userId, peerId, existing, encrypted), created: false };

    await this.usersService.getVisibleById(userId, peerId);
    const now = this.clock.now();
    const created = await this.transactions.run(async (tx) => {
      await this.assertCanWrite(userId, peerId, tx);
      return this.conversations.create(tx, userAId, userBId, now, encrypted ?? this.config.E2EE_DEFAULT);
    });
    if (created) return { conversation: await this.getOne(userId, created), created: true };
    // Lost a race with the peer creating the same conversation: theirs is the one.
    const theirs = (await this.conversations.findByPair(userAId, userBId))!;
    return { conversation: await this.openExisting(userId, peerId, theirs, encrypted), created: false };
  }

  private async openExisting(userId: string, peerId: string, conversation: Conversation, encrypted: boolean | undefined): Promise<ConversationDto> {
    if (encrypted && !conversation.encrypted) {
      const relationship = await this.friendsService.relationship(userId, peerId);
      // Nobody can write in it while a block stands, so there is nothing to encrypt.
      if (!relationship.blockedByMe && !relationship.blockedMe) return this.enableEncryption(userId, peerId, conversation.id);
    }
    return this.getOne(userId, conversation.id);
  }

  async list(userId: string, limit: number, cursor?: string): Promise<ConversationPageDto> {
    const after = cursor ? decodeCursor<{ t: string; id: string }>(cursor, { t: 'timestamp', id: 'uuid' }) : null;
    const rows = await this.conversations.list(userId, after, limit + 1, this.clock.now());
    return toPage(rows, limit, toConversationDto, (row) => ({ t: row.last_activity_at.toISOString(), id: row.id }));
  }

  async getOne(userId: string, conversationId: string): Promise<ConversationDto> {
    const row = await this.conversations.one(userId, conversationId, this.clock.now());
    if (!row) throw conversationNotFound();
    return toConversationDto(row);
  }

  async update(userId: string, conversationId: string, changes: UpdateConversationDto): Promise<ConversationDto> {
    const { peerId, conversation: current } = await this.getMembership(userId, conversationId);
    if (peerId) await this.assertNotBlocked(userId, peerId);
    // Refused before anything else in the request is applied.
    if (changes.encrypted === false && current.encrypted) throw encryptionIrreversible();
    const timerSent = changes.defaultExpiresInSeconds !== undefined || changes.defaultExpiryMode !== undefined;
    if (!timerSent && changes.encrypted !== true) return this.getOne(userId, conversationId);
    const { encryptionTurnedOn } = await this.changeSettings(userId, conversationId, changes);
    const conversation = await this.getOne(userId, conversationId);
    if (timerSent || encryptionTurnedOn) this.announceUpdate(userId, peerId, conversation);
    return conversation;
  }

  private async enableEncryption(userId: string, peerId: string | null, conversationId: string): Promise<ConversationDto> {
    const { encryptionTurnedOn } = await this.changeSettings(userId, conversationId, { encrypted: true });
    const conversation = await this.getOne(userId, conversationId);
    if (encryptionTurnedOn) this.announceUpdate(userId, peerId, conversation);
    return conversation;
  }

  /**
   * Applies the fields sent (only those, on the row as it is now, so two members changing different
   * settings at once both keep theirs) and records what changed as notices, in one transaction.
   */
  private async changeSettings(
    userId: string,
    conversationId: string,
    changes: UpdateConversationDto,
  ): Promise<{ encryptionTurnedOn: boolean }> {
    return this.transactions.run(async (tx) => {
      const before = await this.conversations.lockSettings(tx, conversationId);
      if (!before) throw conversationNotFound();
      const after = {
        defaultExpiresInSeconds: changes.defaultExpiresInSeconds !== undefined ? changes.defaultExpiresInSeconds : before.defaultExpiresInSeconds,
        defaultExpiryMode: changes.defaultExpiryMode ?? before.defaultExpiryMode,
        encrypted: before.encrypted || changes.encrypted === true,
      };
      const same =
        after.defaultExpiresInSeconds === before.defaultExpiresInSeconds &&
        after.defaultExpiryMode === before.defaultExpiryMode &&
        after.encrypted === before.encrypted;
      if (same) return { encryptionTurnedOn: false };
      await this.conversations.writeSettings(tx, conversationId, after);
      const now = this.clock.now();
      await this.notices.add(
        tx,
        settingNotices(before, after).map((notice) => ({ ...notice, conversationId, actorId: userId, afterSeq: before.lastSeq, createdAt: now })),
      );
      return { encryptionTurnedOn: after.encrypted && !before.encrypted };
    });
  }

  /** The conversation's notices, newest first; 404 for anyone who is not a member. */
  async listNotices(userId: string, conversationId: string, limit: number, cursor?: string): Promise<ConversationNoticePageDto> {
    await this.getMembership(userId, conversationId);
    const before = cursor ? decodeCursor<{ t: string; id: string }>(cursor, { t: 'timestamp', id: 'uuid' }) : null;
    const rows = await this.notices.page(conversationId, before, limit + 1);
    return toPage(rows, limit, toConversationNoticeDto, (row) => ({ t: row.createdAt.toISOString(), id: row.id }));
  }

  /** Every notice of a conversation, oldest first, for an export. */
  async exportNotices(conversationId: string): Promise<ConversationNoticeDto[]> {
    return (await this.notices.all(conversationId)).map(toConversationNoticeDto);
  }

  private announceUpdate(userId: string, peerId: string | null, conversation: ConversationDto): void {
    this.realtime.conversationUpdated([userId, peerId], {
      conversationId: conversation.id,
      userId,
      defaultExpiresInSeconds: conversation.defaultExpiresInSeconds,
      defaultExpiryMode: conversation.defaultExpiryMode,
      encrypted: conversation.encrypted,
    });
  }

  /** Mutes or unmutes the conversation for the caller only: no push, sound or desktop notification; unread still counts. */
  async setMuted(userId: string, conversationId: string, muted: boolean): Promise<ConversationDto> {
    if (!(await this.conversations.setMuted(userId, conversationId, muted))) throw conversationNotFound();
    return this.getOne(userId, conversationId);
  }

  /** Whether the user muted the conversation and their unread total; undefined when they are not in it. */
  pushState(userId: string, conversationId: string): Promise<PushState | undefined> {
    return this.conversations.pushState(userId, conversationId, this.clock.now());
  }

  /**
   * Inside a writing transaction: whether the conversation is encrypted, with its row share-locked so
   * that encryption cannot be turned on before the write commits.
   */
  lockEncrypted(tx: Tx, conversationId: string): Promise<boolean> {
    return this.conversations.lockEncrypted(tx, conversationId);
  }

  /** The caller's view of a conversation; 404 for anyone who is not a member. */
  async getMembership(userId: string, conversationId: string): Promise<Membership> {
    const member = await this.conversations.findMember(userId, conversationId);
    if (!member?.conversation) throw conversationNotFound();
    const { conversation } = member;
    return {
      conversation,
      lastReadSeq: member.lastReadSeq,
      peerId: conversation.userAId === userId ? conversation.userBId : conversation.userAId,
    };
  }

  /**
   * Moves the caller's read marker forward to `seq`, never back, inside the caller's transaction;
   * answers the marker it replaced, or null when it was there already (or the caller is no member).
   */
  async advanceReadMarker(tx: Tx, userId: string, conversationId: string, seq: number): Promise<number | null> {
    const member = await this.conversations.lockMember(tx, userId, conversationId);
    if (!member || member.lastReadSeq >= seq) return null;
    await this.conversations.setLastReadSeq(tx, userId, conversationId, seq);
    return member.lastReadSeq;
  }

  /** The members of each conversation, by conversation id (an erased member is left out). */
  async memberIds(conversationIds: string[]): Promise<Map<string, string[]>> {
    if (conversationIds.length === 0) return new Map();
    const conversations = await this.conversations.findMembers(conversationIds);
    return new Map(conversations.map((c) => [c.id, [c.userAId, c.userBId].filter((id): id is string => id !== null)]));
  }

  /**
   * Writing needs the peer to still exist, to be a friend, and no block either way (`write_refusal`).
   * Call it inside the writing transaction: it takes the pair lock that blocking and unfriending take,
   * so a write cannot commit after a block that was already confirmed.
   */
  async assertCanWrite(userId: string, peerId: string | null, tx: Tx): Promise<void> {
    const refusal = await this.friendsService.writeRefusal(tx, userId, peerId);
    if (refusal) throw writeRefused(refusal);
  }

  /** For an erasure, first in its transaction: locks the user's conversations in id order. */
  lockForErasure(tx: Tx, userId: string): Promise<void> {
    return this.conversations.lockOfUser(tx, userId);
  }

  /** For an erasure, inside its transaction: how many conversations the user is in. */
  erasureCount(tx: Tx, userId: string): Promise<number> {
    return this.conversations.countOfUser(tx, userId);
  }

  /** For an erasure: conversations whose other side is already gone would be left with nobody in them. */
  deleteAbandoned(tx: Tx, userId: string): Promise<void> {
    return this.conversations.deleteAbandoned(tx, userId);
  }

  /** Every conversation the user is in, oldest first, for an export. */
  exportList(userId: string): Promise<ExportedConversationRow[]> {
    return this.conversations.exportList(userId);
  }

  private async assertNotBlocked(userId: string, peerId: string): Promise<void> {
    const relationship = await this.friendsService.relationship(userId, peerId);
    if (relationship.blockedByMe || relationship.blockedMe) throw blocked();
  }
}

/**
 * Why nothing can be written here, as `write_refusal` decides for a send. Someone blocked by the peer
 * sees 'not-friends', exactly what an unfriend shows: they learn no more than the friendship ended.
 */
function readOnlyReason(row: ConversationRow): ConversationReadOnly | null {
  if (!row.peer_id) return 'peer-gone';
  if (row.blocked_by_me) return 'blocked';
  return row.friends ? null : 'not-friends';
}

function toConversationDto(row: ConversationRow): ConversationDto {
  return {
    id: row.id,
    peer: row.peer_id
      ? toUserSummaryDto({ id: row.peer_id, username: row.peer_username!, displayName: row.peer_display_name!, avatarId: row.peer_avatar_id })
      : null,
    readOnly: readOnlyReason(row),
    lastMessage: row.last_message
      ? toMessageDto(messageFromRow(row.last_message), (row.last_message_attachments ?? []).map((a) => toAttachmentDto(attachmentFromRow(a))))
      : null,
    unreadCount: row.unread_count,
    peerLastReadSeq: row.peer_last_read_seq,
    lastActivityAt: row.last_activity_at,
    defaultExpiresInSeconds: row.default_expires_in_seconds,
    defaultExpiryMode: row.default_expiry_mode,
    encrypted: row.encrypted,
    muted: row.muted,
  };
}

/**
 * What the history says about a change: encryption turned on, and a new default timer (a change of
 * mode alone while the timer is off changes nothing a message would do, so it leaves no notice).
 */
export function settingNotices(before: ConversationSettings, after: ConversationSettings): Pick<ConversationNotice, 'type' | 'data'>[] {
  const notices: Pick<ConversationNotice, 'type' | 'data'>[] = [];
  if (after.encrypted && !before.encrypted) notices.push({ type: 'encryption', data: {} });
  const seconds = after.defaultExpiresInSeconds;
  if (seconds !== before.defaultExpiresInSeconds || (seconds !== null && after.defaultExpiryMode !== before.defaultExpiryMode)) {
    notices.push({ type: 'timer', data: { expiresInSeconds: seconds, expiryMode: after.defaultExpiryMode } });
  }
  return notices;
}
