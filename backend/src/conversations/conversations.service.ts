import { BadRequestException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, In } from 'typeorm';
import { attachmentFromRow, type AttachmentRow } from '../attachments/attachment.entity.js';
import { toAttachmentDto } from '../attachments/dto/attachment.dto.js';
import { Clock } from '../common/clock.js';
import { decodeCursor, toPage } from '../common/pagination.js';
import { prepared, runPrepared } from '../database/prepared.js';
import { FriendsService, lockPair } from '../friends/friends.service.js';
import { messageFromRow, type MessageRow, toMessageDto } from '../messages/dto/message.dto.js';
import { RealtimeService } from '../realtime/realtime.service.js';
import { toUserSummaryDto } from '../users/dto/user.dto.js';
import { UsersService } from '../users/users.service.js';
import { ConversationMember } from './conversation-member.entity.js';
import { Conversation } from './conversation.entity.js';
import { ConversationDto, ConversationPageDto, UpdateConversationDto } from './dto/conversation.dto.js';

/** A conversation as seen by one of its members. */
export interface Membership {
  conversation: Conversation;
  lastReadSeq: number;
  /** Null once the other account was erased. */
  peerId: string | null;
}

interface ConversationRow {
  id: string;
  last_activity_at: Date;
  default_expires_in_seconds: number | null;
  default_expiry_mode: Conversation['defaultExpiryMode'];
  peer_id: string | null;
  peer_username: string | null;
  peer_display_name: string | null;
  last_message: MessageRow | null;
  last_message_attachments: AttachmentRow[] | null;
  unread_count: number;
  peer_last_read_seq: number | null;
}

export const conversationNotFound = () =>
  new NotFoundException({ code: 'CONVERSATION_NOT_FOUND', message: 'Conversation not found' });
export const peerGone = () => new ForbiddenException({ code: 'PEER_GONE', message: 'The other account no longer exists' });
export const blocked = () => new ForbiddenException({ code: 'BLOCKED', message: 'This conversation is read-only because of a block' });
export const notFriends = () => new ForbiddenException({ code: 'NOT_FRIENDS', message: 'You can only message friends' });

@Injectable()
export class ConversationsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly friendsService: FriendsService,
    private readonly usersService: UsersService,
    private readonly clock: Clock,
    private readonly realtime: RealtimeService,
  ) {}

  /** The conversation with `peerId`, created if needed (which needs friendship and no block). */
  async getOrCreate(userId: string, peerId: string): Promise<{ conversation: ConversationDto; created: boolean }> {
    if (userId === peerId) throw new BadRequestException({ code: 'CANNOT_CHAT_WITH_SELF', message: 'You cannot start a conversation with yourself' });
    const [userAId, userBId] = [userId, peerId].sort();
    const existing = await this.dataSource.getRepository(Conversation).findOneBy({ userAId, userBId });
    if (existing) return { conversation: await this.getOne(userId, existing.id), created: false };

    await this.usersService.getVisibleById(userId, peerId);
    const now = this.clock.now();
    const created = await this.dataSource.transaction(async (manager) => {
      await this.assertCanWrite(userId, peerId, manager);
      const inserted = await manager
        .createQueryBuilder()
        .insert()
        .into(Conversation)
        .values({ userAId, userBId, lastSeq: 0, lastActivityAt: now, createdAt: now, defaultExpiresInSeconds: null })
        .orIgnore()
        .updateEntity(false)
        .returning(['id'])
        .execute();
      const id: string | undefined = inserted.raw[0]?.id;
      if (id) {
        await manager.insert(ConversationMember, [
          { conversationId: id, userId, lastReadSeq: 0 },
          { conversationId: id, userId: peerId, lastReadSeq: 0 },
        ]);
      }
      return id;
    });
    // Lost a race with the peer creating the same conversation: theirs is the one.
    const id = created ?? (await this.dataSource.getRepository(Conversation).findOneByOrFail({ userAId, userBId })).id;
    return { conversation: await this.getOne(userId, id), created: created !== undefined };
  }

  async list(userId: string, limit: number, cursor?: string): Promise<ConversationPageDto> {
    const after = cursor ? decodeCursor<{ t: string; id: string }>(cursor, { t: 'timestamp', id: 'uuid' }) : null;
    const rows = await runPrepared<ConversationRow>(this.dataSource.manager, CONVERSATION_LIST, [
      userId,
      after?.t ?? null,
      after?.id ?? null,
      limit + 1,
      this.clock.now(),
    ]);
    return toPage(rows, limit, toConversationDto, (row) => ({ t: row.last_activity_at.toISOString(), id: row.id }));
  }

  async getOne(userId: string, conversationId: string): Promise<ConversationDto> {
    const [row] = await runPrepared<ConversationRow>(this.dataSource.manager, CONVERSATION_ONE, [userId, conversationId, this.clock.now()]);
    if (!row) throw conversationNotFound();
    return toConversationDto(row);
  }

  async update(userId: string, conversationId: string, changes: UpdateConversationDto): Promise<ConversationDto> {
    const { peerId } = await this.getMembership(userId, conversationId);
    if (peerId) await this.assertNotBlocked(userId, peerId, this.dataSource.manager);
    // Only the fields sent, so two members changing different settings at once both keep theirs.
    const fields = {
      ...(changes.defaultExpiresInSeconds !== undefined ? { defaultExpiresInSeconds: changes.defaultExpiresInSeconds } : {}),
      ...(changes.defaultExpiryMode !== undefined ? { defaultExpiryMode: changes.defaultExpiryMode } : {}),
    };
    if (Object.keys(fields).length === 0) return this.getOne(userId, conversationId);
    await this.dataSource.getRepository(Conversation).update({ id: conversationId }, fields);
    const conversation = await this.getOne(userId, conversationId);
    this.realtime.conversationUpdated([userId, peerId], {
      conversationId,
      userId,
      defaultExpiresInSeconds: conversation.defaultExpiresInSeconds,
      defaultExpiryMode: conversation.defaultExpiryMode,
    });
    return conversation;
  }

  /** The caller's view of a conversation; 404 for anyone who is not a member. */
  async getMembership(userId: string, conversationId: string): Promise<Membership> {
    // One query: findOne with a relation adds a DISTINCT pre-query, a second round trip on every request.
    const member = await this.dataSource
      .getRepository(ConversationMember)
      .createQueryBuilder('member')
      .innerJoinAndSelect('member.conversation', 'conversation')
      .where('member.conversation_id = :conversationId AND member.user_id = :userId', { conversationId, userId })
      .getOne();
    if (!member?.conversation) throw conversationNotFound();
    const { conversation } = member;
    return {
      conversation,
      lastReadSeq: member.lastReadSeq,
      peerId: conversation.userAId === userId ? conversation.userBId : conversation.userAId,
    };
  }

  /** The members of each conversation, by conversation id (an erased member is left out). */
  async memberIds(conversationIds: string[]): Promise<Map<string, string[]>> {
    if (conversationIds.length === 0) return new Map();
    const conversations = await this.dataSource.getRepository(Conversation).find({
      select: { id: true, userAId: true, userBId: true },
      where: { id: In(conversationIds) },
    });
    return new Map(conversations.map((c) => [c.id, [c.userAId, c.userBId].filter((id): id is string => id !== null)]));
  }

  /**
   * Writing needs the peer to still exist, to be a friend, and no block either way. Call it inside the
   * writing transaction: it takes the pair lock that blocking and unfriending take, so a write cannot
   * commit after a block that was already confirmed.
   */
  async assertCanWrite(userId: string, peerId: string | null, manager: EntityManager): Promise<void> {
    if (!peerId) throw peerGone();
    await lockPair(manager, userId, peerId);
    const relationship = await this.assertNotBlocked(userId, peerId, manager);
    if (!relationship.friends) throw notFriends();
  }

  private async assertNotBlocked(userId: string, peerId: string, manager: EntityManager) {
    const relationship = await this.friendsService.relationship(userId, peerId, manager);
    if (relationship.blockedByMe || relationship.blockedMe) throw blocked();
    return relationship;
  }
}

/**
 * Conversations of $1 matching `where` (on `c`), with the peer, the newest visible message and the
 * unread count; the current time is parameter number `nowParam`. The page is chosen first so the per-row lookups run
 * only for the rows returned. The list and the single conversation are prepared statements
 * (database/prepared.ts): the list runs on every start of the client.
 */
function conversationsSql(where: string, nowParam: number): string {
  return `WITH page AS (
         SELECT c.id, c.last_activity_at, c.default_expires_in_seconds, c.default_expiry_mode, m.last_read_seq,
                CASE WHEN c.user_a_id = $1 THEN c.user_b_id ELSE c.user_a_id END AS peer_id
           FROM conversation_members m
           -- One primary-key lookup per membership: a plain join plans a scan of every conversation
           -- (OFFSET 0 keeps the planner from turning this back into that join).
          CROSS JOIN LATERAL (SELECT * FROM conversations c WHERE c.id = m.conversation_id OFFSET 0) c
          WHERE m.user_id = $1 AND ${where}
       )
       SELECT page.id, page.last_activity_at, page.default_expires_in_seconds, page.default_expiry_mode,
              peer.id AS peer_id, peer.username::text AS peer_username, peer.display_name AS peer_display_name,
              to_jsonb(last_message) AS last_message, unread.count AS unread_count, peer_member.last_read_seq AS peer_last_read_seq,
              (SELECT jsonb_agg(to_jsonb(a) ORDER BY a.position) FROM attachments a WHERE a.message_id = last_message.id)
                AS last_message_attachments
         FROM page
         LEFT JOIN users peer ON peer.id = page.peer_id
         LEFT JOIN conversation_members peer_member ON peer_member.conversation_id = page.id AND peer_member.user_id = page.peer_id
         LEFT JOIN LATERAL (
           SELECT x.* FROM messages x
            WHERE x.conversation_id = page.id AND (x.expires_at IS NULL OR x.expires_at > $${nowParam})
            ORDER BY x.seq DESC LIMIT 1
         ) last_message ON true
         CROSS JOIN LATERAL (
           SELECT count(*)::int AS count FROM messages x
            WHERE x.conversation_id = page.id AND x.seq > page.last_read_seq AND x.sender_id <> $1
              AND x.deleted_at IS NULL AND (x.expires_at IS NULL OR x.expires_at > $${nowParam})
         ) unread
        ORDER BY page.last_activity_at DESC, page.id DESC`;
}

export const CONVERSATION_LIST = prepared(
  'conversations_list',
  conversationsSql(
    `($2::timestamptz IS NULL OR (c.last_activity_at, c.id) < ($2::timestamptz, $3::uuid))
     ORDER BY c.last_activity_at DESC, c.id DESC
     LIMIT $4`,
    5,
  ),
);
export const CONVERSATION_ONE = prepared('conversations_one', conversationsSql('c.id = $2', 3));

function toConversationDto(row: ConversationRow): ConversationDto {
  return {
    id: row.id,
    peer: row.peer_id
      ? toUserSummaryDto({ id: row.peer_id, username: row.peer_username!, displayName: row.peer_display_name! })
      : null,
    lastMessage: row.last_message
      ? toMessageDto(messageFromRow(row.last_message), (row.last_message_attachments ?? []).map((a) => toAttachmentDto(attachmentFromRow(a))))
      : null,
    unreadCount: row.unread_count,
    peerLastReadSeq: row.peer_last_read_seq,
    lastActivityAt: row.last_activity_at,
    defaultExpiresInSeconds: row.default_expires_in_seconds,
    defaultExpiryMode: row.default_expiry_mode,
  };
}
