import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { AttachmentRow } from '../attachments/attachment.entity.js';
import { ConversationMember } from '../conversations/conversation-member.entity.js';
import { prepared, runPrepared } from '../database/prepared.js';
import { managerOf, type Tx } from '../database/transaction.js';
import type { EncryptedContent, MessageKind, MessageRow } from './dto/message.dto.js';
import { Message } from './message.entity.js';
import { SendBatches, type SendBatchLimits } from './send-batches.js';

export type SendOutcomeRow = {
  outcome:
    | 'created'
    | 'replayed'
    | 'SESSION_REVOKED'
    | 'CONVERSATION_NOT_FOUND'
    | 'ENCRYPTION_MISMATCH'
    | 'RELATED_MESSAGE_NOT_FOUND'
    | 'PEER_GONE'
    | 'BLOCKED'
    | 'NOT_FRIENDS';
  peer_id: string | null;
  message: MessageRow | null;
};

export type HistoryRow = MessageRow & { id: string | null; seq: number; attachments: AttachmentRow[] | null };

export interface ExpiredBatchRow {
  conversation_id: string;
  ids: string[];
  count: number;
  until: string;
}

/** The parameters of `send_message` (database/schema/messaging-functions.ts), in its order. */
export type SendParams = [
  sessionId: string | null,
  tokenVersion: number | null,
  conversationId: string,
  senderId: string,
  clientId: string,
  body: string | null,
  ciphertext: EncryptedContent | null,
  kind: MessageKind,
  relatesTo: string | null,
  now: Date,
  timerGiven: boolean,
  expiresInSeconds: number | null,
  expiryMode: string | null,
];

export const SEND_MESSAGE = prepared('messages_send', 'SELECT outcome, peer_id, message FROM send_message($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)');

/** Several sends in one statement and transaction (send-batches.ts): `$1` is sendBatchParameter's JSON. */
export const SEND_MESSAGES = prepared('messages_send_batch', 'SELECT outcome, peer_id, message FROM send_messages($1::jsonb)');

/**
 * How sends are grouped, for a pool of `poolSize` connections (data-source.ts). On PostgreSQL four
 * statements out leave six of the ten connections to everything else; one out for 100 ms (some 20
 * times a send's usual time) is waiting on a lock and stops counting. PGlite's one connection runs a
 * statement at a time, on this thread: its sends gather for the event loop's turn instead. 32 sends
 * bound how long one statement holds the locks of its conversations.
 */
const sendBatchLimits = (poolSize: number): SendBatchLimits =>
  poolSize > 1
    ? { maxInFlight: Math.min(4, poolSize), maxBatch: 32, slowMs: 100, gatherTurn: false }
    : { maxInFlight: 1, maxBatch: 32, slowMs: 100, gatherTurn: true };

/** SEND_MESSAGES's parameter for `batch`, in its order (exported for the benchmark, which sends it too). */
export function sendBatchParameter(batch: SendParams[]): string {
  return JSON.stringify(batch.map(batchRow));
}

/**
 * A send of a failed batch, run again alone, that comes back `replayed` with the row this very send
 * wrote (same device, same time): the batch committed after all and only its answer was lost, so the
 * caller still has to announce it, as `created`. A retry by the client carries another time.
 */
export function ownCommitAsCreated(row: SendOutcomeRow, [sessionId, , , , , , , , , now]: SendParams): SendOutcomeRow {
  const own =
    row.outcome === 'replayed' &&
    row.message!.sender_device_id === sessionId &&
    new Date(row.message!.created_at as string).getTime() === now.getTime();
  return own ? { ...row, outcome: 'created' } : row;
}

/** With the `u` flag, a surrogate pair is one code point: only a lone surrogate is in category Cs. */
const LONE_SURROGATE = /\p{Cs}/gu;

/** One send as a row of send_messages's recordset. */
function batchRow(
  [sessionId, tokenVersion, conversationId, senderId, clientId, body, ciphertext, kind, relatesTo, now, timerGiven, expiresInSeconds, expiryMode]: SendParams,
  i: number,
) {
  return {
    i,
    session_id: sessionId,
    token_version: tokenVersion,
    conversation_id: conversationId,
    sender_id: senderId,
    client_id: clientId,
    // As the single statement stores it: a text parameter turns a lone surrogate into U+FFFD (UTF-8
    // has no encoding for one), where JSON would carry it escaped and jsonb refuse it, failing the batch.
    body: body === null ? null : body.replace(LONE_SURROGATE, '\uFFFD'),
    ciphertext,
    kind,
    relates_to: relatesTo,
    now: now.toISOString(),
    timer_given: timerGiven,
    expires_in_seconds: expiresInSeconds,
    expiry_mode: expiryMode,
  };
}

/**
 * A page of history in one statement: the membership check (no row: not a member), up to `$5` messages
 * before or after seq `$3` that have not expired at `$4`, each with its attachments. Prepared
 * (database/prepared.ts): it runs every time a conversation is opened or scrolled.
 */
function historySql(direction: 'before' | 'after'): string {
  const [comparison, order] = direction === 'before' ? ['<', 'DESC'] : ['>', 'ASC'];
  return `SELECT page.id, page.conversation_id, page.seq, page.sender_id, page.client_id, page.body, page.ciphertext,
            page.sender_device_id, page.kind, page.relates_to, page.created_at,
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

/**
 * One batch of the expiry sweep ($1 now, $2 where the last batch ended, $3 the batch size), in its lock.
 * ARRAY(…) of row addresses makes the delete a TID scan: straight to the rows, with no primary-key
 * lookup per row; `IN (subquery)` would plan a scan of the whole table. A row a user's request changes
 * meanwhile gets a new address and is left for the next batch. The reactions to the expired messages go
 * in the same statement, so that they are announced with them (the trigger on messages would delete
 * them anyway). Exported for the benchmark.
 */
export const SWEEP_BATCH = `WITH expired AS (
     DELETE FROM messages WHERE ctid = ANY(ARRAY(
       SELECT ctid FROM messages WHERE expires_at <= $1 AND expires_at >= $2::timestamptz
        ORDER BY expires_at LIMIT $3))
     RETURNING id, conversation_id, expires_at
   ), reactions AS (
     DELETE FROM messages r WHERE r.kind = 'reaction' AND r.relates_to IN (SELECT id FROM expired)
        AND r.id NOT IN (SELECT id FROM expired)
     RETURNING r.id, r.conversation_id
   ), deleted AS (
     SELECT id, conversation_id, 1 AS expired FROM expired
     UNION ALL SELECT id, conversation_id, 0 FROM reactions
   )
   SELECT conversation_id, array_agg(id) AS ids, sum(expired)::int AS count,
          -- As text, so the next batch gets it back to the microsecond.
          (SELECT max(expires_at) FROM expired)::text AS until
     FROM deleted GROUP BY conversation_id`;

/** The advisory lock a sweeper holds for each batch (an arbitrary constant, unique in this app). */
const SWEEP_LOCK_KEY = 7_340_001;

@Injectable()
export class MessagesRepository {
  private readonly sends: SendBatches<SendParams, SendOutcomeRow>;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.sends = new SendBatches(
      {
        one: (params) => this.sendOne(params),
        many: (batch) => runPrepared<SendOutcomeRow>(this.dataSource.manager, SEND_MESSAGES, [sendBatchParameter(batch)]),
        again: async (params) => ownCommitAsCreated(await this.sendOne(params), params),
      },
      sendBatchLimits(this.dataSource.options.poolSize ?? 10),
      // Lower case: the route takes a UUID in either case, and two batches must order the same ids alike.
      ([, , conversationId]) => conversationId.toLowerCase(),
    );
  }

  private async sendOne(params: SendParams): Promise<SendOutcomeRow> {
    return (await runPrepared<SendOutcomeRow>(this.dataSource.manager, SEND_MESSAGE, params))[0];
  }

  /** A send on its own commits with the sends around it (send-batches.ts); one inside `tx` runs in it. */
  async send(params: SendParams, tx?: Tx): Promise<SendOutcomeRow> {
    if (!tx) return this.sends.send(params);
    const [row] = await runPrepared<SendOutcomeRow>(managerOf(tx), SEND_MESSAGE, params);
    return row;
  }

  history(direction: 'before' | 'after', conversationId: string, userId: string, seq: number, now: Date, limit: number): Promise<HistoryRow[]> {
    return runPrepared<HistoryRow>(this.dataSource.manager, direction === 'after' ? HISTORY_AFTER : HISTORY_BEFORE, [
      conversationId,
      userId,
      seq,
      now,
      limit,
    ]);
  }

  findOne(where: { id: string } | { senderId: string; clientId: string }): Promise<Message | null> {
    return this.dataSource.getRepository(Message).findOneBy(where);
  }

  /** The message if `userId` is a member of its conversation and it has not expired at `now`. */
  findVisible(userId: string, messageId: string, now: Date): Promise<Message | null> {
    return this.dataSource
      .getRepository(Message)
      .createQueryBuilder('m')
      .innerJoin(ConversationMember, 'cm', 'cm.conversation_id = m.conversation_id AND cm.user_id = :userId', { userId })
      .where('m.id = :messageId', { messageId })
      .andWhere('(m.expires_at IS NULL OR m.expires_at > :now)', { now })
      .getOne();
  }

  /**
   * Whether the content changed (a body, or a ciphertext in place of any body): guarded in SQL, as a
   * delete or the expiry may have happened since it was read.
   */
  async edit(tx: Tx, messageId: string, content: { body: string; ciphertext: null } | { body: null; ciphertext: EncryptedContent }, now: Date): Promise<boolean> {
    const [, affected]: [unknown[], number] = await managerOf(tx).query(
      `UPDATE messages SET body = $2, ciphertext = $3::jsonb, edited_at = $4
        WHERE id = $1 AND deleted_at IS NULL AND (expires_at IS NULL OR expires_at > $4)`,
      [messageId, content.body, content.ciphertext === null ? null : JSON.stringify(content.ciphertext), now],
    );
    return affected > 0;
  }

  /** Wipes the content and deletes the reactions to it; answers the ids of those reactions. */
  async tombstone(tx: Tx, messageId: string, deletedAt: Date): Promise<string[]> {
    const manager = managerOf(tx);
    await manager.query(`UPDATE messages SET body = NULL, ciphertext = NULL, deleted_at = $2 WHERE id = $1`, [messageId, deletedAt]);
    const [rows]: [{ id: string }[], number] = await manager.query(
      `DELETE FROM messages WHERE kind = 'reaction' AND relates_to = $1 RETURNING id`,
      [messageId],
    );
    return rows.map((row) => row.id);
  }

  /** Starts the clock of the `afterRead` messages of the peer that a read marker moving from `fromSeq` to `toSeq` passes. */
  async startReadTimers(tx: Tx, conversationId: string, readerId: string, fromSeq: number, toSeq: number, now: Date): Promise<void> {
    await managerOf(tx).query(
      `UPDATE messages SET expires_at = $5::timestamptz + expires_in_seconds * interval '1 second'
        WHERE conversation_id = $1 AND seq > $2 AND seq <= $3 AND sender_id <> $4
          AND expiry_mode = 'afterRead' AND expires_at IS NULL`,
      [conversationId, fromSeq, toSeq, readerId, now],
    );
  }

  /**
   * Deletes up to `batchSize` messages expired at `now`, from `from` on in expires_at order, unless
   * another sweeper holds the batch lock (then none). Answers the deleted ids by conversation.
   */
  deleteExpiredBatch(now: Date, from: string, batchSize: number): Promise<ExpiredBatchRow[]> {
    return this.dataSource.transaction(async (manager): Promise<ExpiredBatchRow[]> => {
      // One sweeper at a time across instances; another one's batch is simply left to it. Row locks
      // (FOR UPDATE SKIP LOCKED) would do the same, but write a WAL record per row that the sends'
      // commits would wait behind.
      const [{ sweeping }]: { sweeping: boolean }[] = await manager.query('SELECT pg_try_advisory_xact_lock($1) AS sweeping', [SWEEP_LOCK_KEY]);
      if (!sweeping) return [];
      return manager.query(SWEEP_BATCH, [now, from, batchSize]);
    });
  }

  async countOfSender(tx: Tx, userId: string): Promise<number> {
    const [row]: { count: string }[] = await managerOf(tx).query(`SELECT count(*) FROM messages WHERE sender_id = $1`, [userId]);
    return Number(row.count);
  }

  /** Messages of a conversation with seq in (after, untilSeq], oldest first, not expired at `now`. */
  page(conversationId: string, after: number, untilSeq: number, now: Date, limit: number): Promise<Message[]> {
    return this.dataSource
      .getRepository(Message)
      .createQueryBuilder('m')
      .where('m.conversation_id = :conversationId', { conversationId })
      .andWhere('m.seq > :after AND m.seq <= :untilSeq', { after, untilSeq })
      .andWhere('(m.expires_at IS NULL OR m.expires_at > :now)', { now })
      .orderBy('m.seq', 'ASC')
      .limit(limit)
      .getMany();
  }
}
