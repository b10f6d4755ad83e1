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
  last_message: MessageRow | null;
  last_message_attachments: AttachmentRow[] | null;
  unread_count: number;
  peer_last_read_seq: number | null;
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
}

/**
 * Conversations of $1 matching `where` (on `c`), with the peer, the newest visible message and the
 * unread count; the current time is parameter number `nowParam`. The page is chosen first so the
 * per-row lookups run only for the rows returned. Prepared (database/prepared.ts): the list runs on
 * every start of the client.
 */
function conversationsSql(where: string, nowParam: number): string {
  return `WITH page AS (
         SELECT c.id, c.last_activity_at, c.default_expires_in_seconds, c.default_expiry_mode, c.encrypted, m.last_read_seq,
                CASE WHEN c.user_a_id = $1 THEN c.user_b_id ELSE c.user_a_id END AS peer_id
           FROM conversation_members m
           -- One primary-key lookup per membership: a plain join plans a scan of every conversation
           -- (OFFSET 0 keeps the planner from turning this back into that join).
          CROSS JOIN LATERAL (SELECT * FROM conversations c WHERE c.id = m.conversation_id OFFSET 0) c
          WHERE m.user_id = $1 AND ${where}
       )
       SELECT page.id, page.last_activity_at, page.default_expires_in_seconds, page.default_expiry_mode, page.encrypted,
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
              AND x.kind = 'message' AND x.deleted_at IS NULL AND (x.expires_at IS NULL OR x.expires_at > $${nowParam})
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
        { conversationId: id, userId: userAId, lastReadSeq: 0 },
        { conversationId: id, userId: userBId, lastReadSeq: 0 },
      ]);
    }
    return id;
  }

  list(userId: string, after: { t: string; id: string } | null, limit: number, now: Date): Promise<ConversationRow[]> {
    return runPrepared<ConversationRow>(this.dataSource.manager, CONVERSATION_LIST, [userId, after?.t ?? null, after?.id ?? null, limit, now]);
  }

  async one(userId: string, conversationId: string, now: Date): Promise<ConversationRow | undefined> {
    const [row] = await runPrepared<ConversationRow>(this.dataSource.manager, CONVERSATION_ONE, [userId, conversationId, now]);
    return row;
  }

  async update(conversationId: string, fields: Partial<Pick<Conversation, 'defaultExpiresInSeconds' | 'defaultExpiryMode'>>): Promise<void> {
    await this.dataSource.getRepository(Conversation).update({ id: conversationId }, fields);
  }

  /** Turns encryption on; whether it was off until now. */
  async enableEncryption(conversationId: string): Promise<boolean> {
    const [, affected]: [unknown[], number] = await this.dataSource.query(
      `UPDATE conversations SET encrypted = true WHERE id = $1 AND NOT encrypted`,
      [conversationId],
    );
    return affected > 0;
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

  async setLastReadSeq(tx: Tx, userId: string, conversationId: string, lastReadSeq: number): Promise<void> {
    await managerOf(tx).update(ConversationMember, { conversationId, userId }, { lastReadSeq });
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
      `SELECT c.id, c.created_at, c.last_activity_at, c.default_expires_in_seconds, c.default_expiry_mode, c.encrypted, m.last_read_seq, c.last_seq,
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
