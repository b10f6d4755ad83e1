import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import type { AttachmentRow } from '../attachments/attachment.entity.js';
import { prepared, runPrepared } from '../database/prepared.js';
import { managerOf, type Tx } from '../database/transaction.js';
import type { MessageRow } from './dto/message.dto.js';
import { ConversationMember } from './conversation-member.entity.js';
import { Conversation, type ExpiryMode } from './conversation.entity.js';

export interface ConversationRow {
  id: string;
  last_activity_at: Date;
  default_expires_in_seconds: number | null;
  default_expiry_mode: Conversation['defaultExpiryMode'];
  encrypted: boolean;
  peer_id: string | null;
  peer_username: string | null;
  peer_display_name: string | null;
  /** Only when the caller may see it (profile_visible). */
  peer_avatar_id: string | null;
  /** Whether the caller blocked the peer, and whether they are friends: what makes it read-only. */
  blocked_by_me: boolean;
  friends: boolean;
  last_message: MessageRow | null;
  last_message_attachments: AttachmentRow[] | null;
  unread_count: number;
  peer_last_read_seq: number | null;
  muted: boolean;
}

/** The settings a member can change, each leaving a notice in the history. */
export interface ConversationSettings {
  defaultExpiresInSeconds: number | null;
  defaultExpiryMode: ExpiryMode;
  encrypted: boolean;
}

/** The settings as a change finds them, with the conversation's newest seq. */
export interface LockedSettings extends ConversationSettings {
  lastSeq: number;
}

/** What a push about a new message in a conversation needs to know of its recipient. */
export interface PushState {
  muted: boolean;
  /** The recipient's unread total over all their conversations. */
  unread: number;
}

/** A conversation as an export lists it. */
export interface ExportedConversationRow {
  id: string;
  created_at: Date;
  last_activity_at: Date;
  default_expires_in_seconds: number | null;
  default_expiry_mode: ExpiryMode;
  encrypted: boolean;
  last_read_seq: number;
  /** The conversation's newest seq when the export started: nothing written later goes in. */
  last_seq: number;
  peer_id: string | null;
  peer_username: string | null;
  peer_display_name: string | null;
  /** The user muted it (their own setting, not the peer's). */
  muted: boolean;
}

/**
 * The unread count of member row `m` at `now`: the summary kept on write (conversation-member.entity.ts),
 * unless one of the messages it counts may have expired before the sweep got to it; then counted here.
 */
function unreadSql(now: string): string {
  return `CASE WHEN m.unread_expires_at IS NULL OR m.unread_expires_at > ${now} THEN m.unread_count
               ELSE (SELECT count(*)::int FROM messages x
                      WHERE x.conversation_id = m.conversation_id AND x.seq > m.last_read_seq AND x.sender_id <> m.user_id
                        AND x.kind = 'message' AND x.deleted_at IS NULL AND (x.expires_at IS NULL OR x.expires_at > ${now})) END`;
}

/**
 * The member rows of $1 matching `where` (on `m`, which may order and limit), each with its conversation,
 * the peer, the newest visible message (not a reaction) and the unread count; the current time is
 * parameter number `nowParam`. The page comes from the member rows' summary (an index range), so the
 * lookups run only for the rows returned. Prepared (database/prepared.ts): the list runs on every start
 * of the client.
 */
function conversationsSql(where: string, nowParam: number): string {
  return `WITH page AS (
         SELECT m.conversation_id, m.last_activity_at, m.last_read_seq, m.muted, ${unreadSql(`$${nowParam}`)} AS unread_count
           FROM conversation_members m
          WHERE m.user_id = $1 AND ${where}
       )
       SELECT c.id, page.last_activity_at, c.default_expires_in_seconds, c.default_expiry_mode, c.encrypted, page.muted,
              peer.id AS peer_id, peer.username::text AS peer_username, peer.display_name AS peer_display_name,
              CASE WHEN peer.avatar_id IS NOT NULL AND profile_visible($1, peer.id) THEN peer.avatar_id END AS peer_avatar_id,
              -- The friends module's tables, read here so the list stays one query (write_refusal is the rule for writes).
              EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = $1 AND b.blocked_id = peer.id) AS blocked_by_me,
              EXISTS (SELECT 1 FROM friendships f WHERE f.user_id = $1 AND f.friend_id = peer.id) AS friends,
              to_jsonb(last_message) AS last_message, page.unread_count, peer_member.last_read_seq AS peer_last_read_seq,
              (SELECT jsonb_agg(to_jsonb(a) ORDER BY a.position) FROM attachments a WHERE a.message_id = last_message.id)
                AS last_message_attachments
         FROM page
         JOIN conversations c ON c.id = page.conversation_id
         LEFT JOIN users peer ON peer.id = CASE WHEN c.user_a_id = $1 THEN c.user_b_id ELSE c.user_a_id END
         -- By the conversation (its primary key's prefix, two rows), never by the peer, who may be in many.
         LEFT JOIN conversation_members peer_member ON peer_member.conversation_id = page.conversation_id AND peer_member.user_id <> $1
         -- The newest row of the conversation's (conversation_id, seq) index, but for reactions and expired
         -- messages the sweep has not reached yet: one index probe, right after any edit, delete or expiry.
         LEFT JOIN LATERAL (
           SELECT x.* FROM messages x
            -- A reaction is shown under its message, never as the chat's last message.
            WHERE x.conversation_id = c.id AND x.kind = 'message' AND (x.expires_at IS NULL OR x.expires_at > $${nowParam})
            ORDER BY x.seq DESC LIMIT 1
         ) last_message ON true
        ORDER BY page.last_activity_at DESC, c.id DESC`;
}

/** Before the first page: a cursor later than any conversation, so that every page is the same index range. */
export const FIRST_PAGE = { t: 'infinity', id: 'ffffffff-ffff-ffff-ffff-ffffffffffff' };

export const CONVERSATION_LIST = prepared(
  'conversations_list',
  conversationsSql(
    `(m.last_activity_at, m.conversation_id) < ($2::timestamptz, $3::uuid)
     ORDER BY m.last_activity_at DESC, m.conversation_id DESC
     LIMIT $4`,
    5,
  ),
);
export const CONVERSATION_ONE = prepared('conversations_one', conversationsSql('m.conversation_id = $2', 3));

@Injectable()
export class ConversationsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  findByPair(userAId: string, userBId: string): Promise<Conversation | null> {
    return this.dataSource.getRepository(Conversation).findOneBy({ userAId, userBId });
  }

  /** Creates the pair's conversation with both members; undefined when it exists already (a concurrent create). */
  async create(tx: Tx, userAId: string, userBId: string, now: Date, encrypted: boolean): Promise<string | undefined> {
    const manager = managerOf(tx);
    const inserted = await manager
      .createQueryBuilder()
      .insert()
      .into(Conversation)
      .values({ userAId, userBId, lastSeq: 0, lastActivityAt: now, createdAt: now, defaultExpiresInSeconds: null, encrypted })
      .orIgnore()
      .updateEntity(false)
      .returning(['id'])
      .execute();
    const id: string | undefined = inserted.raw[0]?.id;
    if (id) {
      await manager.insert(ConversationMember, [
        { conversationId: id, userId: userAId, lastReadSeq: 0, lastActivityAt: now },
        { conversationId: id, userId: userBId, lastReadSeq: 0, lastActivityAt: now },
      ]);
    }
    return id;
  }

  list(userId: string, after: { t: string; id: string } | null, limit: number, now: Date): Promise<ConversationRow[]> {
    return runPrepared<ConversationRow>(this.dataSource.manager, CONVERSATION_LIST, [userId, (after ?? FIRST_PAGE).t, (after ?? FIRST_PAGE).id, limit, now]);
  }

  async one(userId: string, conversationId: string, now: Date): Promise<ConversationRow | undefined> {
    const [row] = await runPrepared<ConversationRow>(this.dataSource.manager, CONVERSATION_ONE, [userId, conversationId, now]);
    return row;
  }

  /**
   * The conversation's settings, its row locked for update: a send takes the same row's lock for its
   * seq, so `lastSeq` is exactly the newest message before the change.
   */
  async lockSettings(tx: Tx, conversationId: string): Promise<LockedSettings | undefined> {
    const [row]: LockedSettings[] = await managerOf(tx).query(
      `SELECT default_expires_in_seconds AS "defaultExpiresInSeconds", default_expiry_mode AS "defaultExpiryMode",
              encrypted, last_seq AS "lastSeq"
         FROM conversations WHERE id = $1 FOR UPDATE`,
      [conversationId],
    );
    return row;
  }

  async writeSettings(tx: Tx, conversationId: string, settings: ConversationSettings): Promise<void> {
    await managerOf(tx).query(
      `UPDATE conversations SET default_expires_in_seconds = $2, default_expiry_mode = $3, encrypted = $4 WHERE id = $1`,
      [conversationId, settings.defaultExpiresInSeconds, settings.defaultExpiryMode, settings.encrypted],
    );
  }

  /**
   * Whether the conversation is encrypted, its row share-locked until the transaction ends, so that
   * turning encryption on cannot commit between this answer and the caller's write.
   */
  async lockEncrypted(tx: Tx, conversationId: string): Promise<boolean> {
    const [row]: { encrypted: boolean }[] = await managerOf(tx).query(`SELECT encrypted FROM conversations WHERE id = $1 FOR SHARE`, [conversationId]);
    return row?.encrypted ?? false;
  }

  /** The member row with its conversation, in one query (findOne with a relation would add a DISTINCT pre-query). */
  findMember(userId: string, conversationId: string): Promise<ConversationMember | null> {
    return this.dataSource
      .getRepository(ConversationMember)
      .createQueryBuilder('member')
      .innerJoinAndSelect('member.conversation', 'conversation')
      .where('member.conversation_id = :conversationId AND member.user_id = :userId', { conversationId, userId })
      .getOne();
  }

  /** The member row, locked until the transaction ends. */
  lockMember(tx: Tx, userId: string, conversationId: string): Promise<ConversationMember | null> {
    return managerOf(tx).findOne(ConversationMember, { where: { conversationId, userId }, lock: { mode: 'pessimistic_write' } });
  }

  /** Whether the member row exists (the user is in the conversation). */
  async setMuted(userId: string, conversationId: string, muted: boolean): Promise<boolean> {
    const result = await this.dataSource.getRepository(ConversationMember).update({ conversationId, userId }, { muted });
    return (result.affected ?? 0) > 0;
  }

  /** Undefined when the user is not in the conversation. Counts as the list's unread counts do. */
  async pushState(userId: string, conversationId: string, now: Date): Promise<PushState | undefined> {
    const [row]: PushState[] = await this.dataSource.query(
      `SELECT mine.muted, (SELECT COALESCE(sum(${unreadSql('$3')}), 0)::int FROM conversation_members m WHERE m.user_id = $1) AS unread
         FROM conversation_members mine
        WHERE mine.user_id = $1 AND mine.conversation_id = $2`,
      [userId, conversationId, now],
    );
    return row;
  }

  /**
   * Moves the read marker and counts again what is left unread (usually nothing), with the earliest
   * timer among it. The caller holds the member row's lock (lockMember), so no send or delete can
   * change the count between this statement's reading and its write.
   */
  async setLastReadSeq(tx: Tx, userId: string, conversationId: string, lastReadSeq: number): Promise<void> {
    await managerOf(tx).query(
      `UPDATE conversation_members m
          SET last_read_seq = $3, unread_count = left_unread.count, unread_expires_at = left_unread.expires_at
         FROM (SELECT count(*)::int AS count, min(x.expires_at) AS expires_at FROM messages x
                WHERE x.conversation_id = $2 AND x.seq > $3 AND x.sender_id <> $1 AND x.kind = 'message' AND x.deleted_at IS NULL) left_unread
        WHERE m.conversation_id = $2 AND m.user_id = $1`,
      [userId, conversationId, lastReadSeq],
    );
  }

  findMembers(conversationIds: string[]): Promise<Pick<Conversation, 'id' | 'userAId' | 'userBId'>[]> {
    return this.dataSource.getRepository(Conversation).find({
      select: { id: true, userAId: true, userBId: true },
      where: { id: In(conversationIds) },
    });
  }

  async lockOfUser(tx: Tx, userId: string): Promise<void> {
    await managerOf(tx).query(`SELECT id FROM conversations WHERE user_a_id = $1 OR user_b_id = $1 ORDER BY id FOR UPDATE`, [userId]);
  }

  async countOfUser(tx: Tx, userId: string): Promise<number> {
    const [row]: { count: string }[] = await managerOf(tx).query(`SELECT count(*) FROM conversation_members WHERE user_id = $1`, [userId]);
    return Number(row.count);
  }

  /** Deletes the user's conversations whose other side is already gone. */
  async deleteAbandoned(tx: Tx, userId: string): Promise<void> {
    await managerOf(tx).query(
      `DELETE FROM conversations WHERE (user_a_id = $1 AND user_b_id IS NULL) OR (user_b_id = $1 AND user_a_id IS NULL)`,
      [userId],
    );
  }

  exportList(userId: string): Promise<ExportedConversationRow[]> {
    return this.dataSource.query(
      `SELECT c.id, c.created_at, c.last_activity_at, c.default_expires_in_seconds, c.default_expiry_mode, c.encrypted, m.last_read_seq, c.last_seq, m.muted,
              p.id AS peer_id, p.username::text AS peer_username, p.display_name AS peer_display_name
         FROM conversation_members m
         JOIN conversations c ON c.id = m.conversation_id
         LEFT JOIN users p ON p.id = (CASE WHEN c.user_a_id = $1 THEN c.user_b_id ELSE c.user_a_id END)
        WHERE m.user_id = $1
        ORDER BY c.created_at, c.id`,
      [userId],
    );
  }
}
