import { Injectable, Logger, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { addAbortSignal, type PassThrough, Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { DataSource } from 'typeorm';
import { type ReadStreamOptions, ZipFile } from 'yazl';
import { AttachmentsService } from '../attachments/attachments.service.js';
import { StorageNotFoundError } from '../attachments/storage/storage.js';
import { AuthService } from '../auth/auth.service.js';
import { Clock } from '../common/clock.js';
import type { ExpiryMode } from '../conversations/conversation.entity.js';
import type { FriendRequestDto } from '../friends/dto/friend.dto.js';
import { type MessageDto, toMessageDto } from '../messages/dto/message.dto.js';
import { Message } from '../messages/message.entity.js';
import { toUserDto, toUserSummaryDto, type UserSummaryDto } from '../users/dto/user.dto.js';
import { UsersService } from '../users/users.service.js';
import { attachmentEntryName, EXPORT_FORMAT, EXPORT_README, exportFileName, jsonDocument } from './export-format.js';

/** Rows read per query: messages of a conversation, uploads of the user. */
export const EXPORT_BATCH = 500;

export interface UserExport {
  /** `iris-export-<username>-<date>.zip` */
  fileName: string;
  /** The zip, written while it is read. */
  stream: Readable;
}

interface ExportedSession {
  id: string;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
}

interface SummaryRow {
  id: string;
  username: string;
  display_name: string;
  created_at: Date;
}

interface RequestRow {
  id: string;
  created_at: Date;
  outgoing: boolean;
  from_id: string;
  from_username: string;
  from_display_name: string;
  to_id: string;
  to_username: string;
  to_display_name: string;
}

interface ConversationRow {
  id: string;
  created_at: Date;
  last_activity_at: Date;
  default_expires_in_seconds: number | null;
  default_expiry_mode: ExpiryMode;
  last_read_seq: number;
  /** The conversation's newest seq when the export started: nothing written later goes in. */
  last_seq: number;
  peer_id: string | null;
  peer_username: string | null;
  peer_display_name: string | null;
}

/** An export slower than this is cut off. */
const EXPORT_MAX_MS = 30 * 60_000;

const summary = (id: string, username: string, displayName: string): UserSummaryDto => toUserSummaryDto({ id, username, displayName });

/**
 * Everything the server holds about a user (GDPR Art. 15 and 20), as a zip written while it is sent:
 * profile and sessions, friends, requests and blocks, each conversation the user is in with every message
 * they can still see, and the files they uploaded. Expired messages and their files are left out exactly
 * as the rest of the API leaves them out; the peer's files appear only as metadata.
 */
@Injectable()
export class ExportService {
  private readonly logger = new Logger(ExportService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly usersService: UsersService,
    private readonly attachmentsService: AttachmentsService,
    private readonly authService: AuthService,
    private readonly clock: Clock,
  ) {}

  /**
   * The small parts are read before this resolves, so a failure there is an ordinary error answer.
   * Conversations and files are read batch by batch as the client takes the bytes; a failure then
   * ends the stream early (the zip lacks its directory, so it does not open) and is logged.
   */
  async export(userId: string, sessionId: string): Promise<UserExport> {
    const now = this.clock.now();
    const user = await this.usersService.getById(userId);
    const profile = {
      format: EXPORT_FORMAT,
      exportedAt: now,
      user: { ...toUserDto(user), updatedAt: user.updatedAt },
      sessions: await this.sessions(userId),
    };
    const friends = await this.friends(userId);
    const conversations = await this.conversations(userId);

    const zip = new ZipFile();
    const output = zip.outputStream as PassThrough;
    const abort = new AbortController();
    const fail = (error: unknown) => {
      if (abort.signal.aborted) return;
      this.logger.error(`The export of user ${userId} stopped: ${String(error)}`, error instanceof Error ? error.stack : undefined);
      abort.abort(error);
      output.destroy(error instanceof Error ? error : new Error(String(error)));
    };
    zip.on('error', fail);
    // The client went away (or everything was sent): stop reading whatever is still open.
    output.once('close', () => abort.abort());

    zip.addBuffer(Buffer.from(EXPORT_README), 'README.txt', { mtime: now });
    zip.addBuffer(json(profile), 'profile.json', { mtime: now });
    zip.addBuffer(json(friends), 'friends.json', { mtime: now });
    // A slow reader must not turn a short-lived token into a lasting view: the export holds what existed
    // when it started, stops when the session that asked for it ends, and has a time limit.
    const stillAllowed = async () => {
      if (this.clock.now().getTime() - now.getTime() > EXPORT_MAX_MS) throw new Error('The export took longer than its time limit');
      if (!(await this.authService.openSessionIds([sessionId])).has(sessionId)) throw new Error('The session that asked for the export has ended');
    };
    void this.writeRest(zip, userId, conversations, now, abort.signal, stillAllowed).catch(fail);
    return { fileName: exportFileName(user.username, now), stream: output };
  }

  /** One entry at a time, each added only once the previous one is written, so at most one source is open. */
  private async writeRest(
    zip: ZipFile,
    userId: string,
    conversations: ConversationRow[],
    now: Date,
    signal: AbortSignal,
    stillAllowed: () => Promise<void>,
  ): Promise<void> {
    for (const conversation of conversations) {
      signal.throwIfAborted();
      await stillAllowed();
      const document = Readable.from(this.conversationDocument(conversation, stillAllowed), { objectMode: false });
      await addStream(zip, document, `conversations/${conversation.id}.json`, { mtime: now }, signal);
    }
    for await (const attachmentId of this.uploadIds(userId, now)) {
      signal.throwIfAborted();
      await stillAllowed();
      // Decided right before its bytes go out, by the download rule: its message may have expired or been deleted meanwhile.
      const download = await this.attachmentsService.findDownloadable(userId, attachmentId).catch((error: unknown) => {
        if (error instanceof NotFoundException) return null;
        throw error;
      });
      if (!download) continue;
      const { attachment } = download;
      let body: Readable;
      let size: number;
      try {
        ({ body, size } = await this.attachmentsService.read(attachment.storageKey));
      } catch (error) {
        if (!(error instanceof StorageNotFoundError)) throw error;
        this.logger.warn(`Attachment ${attachment.id} has no stored file; left out of an export`);
        continue;
      }
      // Images, audio and video are compressed already.
      const options = { mtime: attachment.createdAt, size, compress: attachment.kind === 'file' };
      await addStream(zip, body, attachmentEntryName(attachment.id, attachment.name), options, signal);
    }
    zip.end();
  }

  /** Every sign-in, revoked and expired ones too; never a token or its hash. */
  private sessions(userId: string): Promise<ExportedSession[]> {
    return this.dataSource.query(
      `SELECT id, created_at AS "createdAt", last_used_at AS "lastUsedAt", expires_at AS "expiresAt", revoked_at AS "revokedAt"
         FROM sessions WHERE user_id = $1 ORDER BY created_at, id`,
      [userId],
    );
  }

  /** Friends, pending requests both ways, and the blocks the user made (not who blocked them: that is the other person's). */
  private async friends(userId: string) {
    const friends: SummaryRow[] = await this.dataSource.query(
      `SELECT u.id, u.username::text AS username, u.display_name, f.created_at
         FROM friendships f JOIN users u ON u.id = f.friend_id
        WHERE f.user_id = $1 ORDER BY f.created_at, u.id`,
      [userId],
    );
    const requests: RequestRow[] = await this.dataSource.query(
      `SELECT r.id, r.created_at, r.from_user_id = $1 AS outgoing,
              f.id AS from_id, f.username::text AS from_username, f.display_name AS from_display_name,
              t.id AS to_id, t.username::text AS to_username, t.display_name AS to_display_name
         FROM friend_requests r
         JOIN users f ON f.id = r.from_user_id
         JOIN users t ON t.id = r.to_user_id
        WHERE r.from_user_id = $1 OR r.to_user_id = $1
        ORDER BY r.created_at, r.id`,
      [userId],
    );
    const blocks: SummaryRow[] = await this.dataSource.query(
      `SELECT u.id, u.username::text AS username, u.display_name, b.created_at
         FROM blocks b JOIN users u ON u.id = b.blocked_id
        WHERE b.blocker_id = $1 ORDER BY b.created_at, u.id`,
      [userId],
    );
    const toRequest = (row: RequestRow): FriendRequestDto => ({
      id: row.id,
      from: summary(row.from_id, row.from_username, row.from_display_name),
      to: summary(row.to_id, row.to_username, row.to_display_name),
      createdAt: row.created_at,
    });
    const withSince = (row: SummaryRow) => ({ user: summary(row.id, row.username, row.display_name), since: row.created_at });
    return {
      friends: friends.map(withSince),
      friendRequests: {
        incoming: requests.filter((row) => !row.outgoing).map(toRequest),
        outgoing: requests.filter((row) => row.outgoing).map(toRequest),
      },
      blocks: blocks.map(withSince),
    };
  }

  private conversations(userId: string): Promise<ConversationRow[]> {
    return this.dataSource.query(
      `SELECT c.id, c.created_at, c.last_activity_at, c.default_expires_in_seconds, c.default_expiry_mode, m.last_read_seq, c.last_seq,
              p.id AS peer_id, p.username::text AS peer_username, p.display_name AS peer_display_name
         FROM conversation_members m
         JOIN conversations c ON c.id = m.conversation_id
         LEFT JOIN users p ON p.id = (CASE WHEN c.user_a_id = $1 THEN c.user_b_id ELSE c.user_a_id END)
        WHERE m.user_id = $1
        ORDER BY c.created_at, c.id`,
      [userId],
    );
  }

  private conversationDocument(row: ConversationRow, stillAllowed: () => Promise<void>): AsyncGenerator<string> {
    const head = {
      id: row.id,
      peer: row.peer_id ? summary(row.peer_id, row.peer_username!, row.peer_display_name!) : null,
      createdAt: row.created_at,
      lastActivityAt: row.last_activity_at,
      defaultExpiresInSeconds: row.default_expires_in_seconds,
      defaultExpiryMode: row.default_expiry_mode,
      lastReadSeq: row.last_read_seq,
    };
    return jsonDocument(head, 'messages', this.visibleMessages(row.id, row.last_seq, stillAllowed));
  }

  /** Oldest first, in batches by seq; the same visibility as history (tombstones yes, expired never). */
  private async *visibleMessages(conversationId: string, untilSeq: number, stillAllowed: () => Promise<void>): AsyncGenerator<MessageDto> {
    let after = 0;
    for (;;) {
      await stillAllowed();
      const batch = await this.dataSource
        .getRepository(Message)
        .createQueryBuilder('m')
        .where('m.conversation_id = :conversationId', { conversationId })
        .andWhere('m.seq > :after AND m.seq <= :untilSeq', { after, untilSeq })
        .andWhere('(m.expires_at IS NULL OR m.expires_at > :now)', { now: this.clock.now() })
        .orderBy('m.seq', 'ASC')
        .limit(EXPORT_BATCH)
        .getMany();
      const attachments = await this.attachmentsService.forMessages(batch.map((message) => message.id));
      for (const message of batch) {
        // A slow reader may take a while to get here: a message that expired meanwhile stays out.
        if (message.expiresAt && message.expiresAt <= this.clock.now()) continue;
        yield toMessageDto(message, attachments.get(message.id));
      }
      if (batch.length < EXPORT_BATCH) return;
      after = batch[batch.length - 1].seq;
    }
  }

  /** Every upload of the user, sent or not; which of them may be exported is decided one by one. */
  private async *uploadIds(userId: string, startedAt: Date): AsyncGenerator<string> {
    let after: string | null = null;
    for (;;) {
      const rows: { id: string }[] = await this.dataSource.query(
        `SELECT id FROM attachments WHERE uploader_id = $1 AND created_at <= $3 AND ($2::uuid IS NULL OR id > $2::uuid) ORDER BY id LIMIT ${EXPORT_BATCH}`,
        [userId, after, startedAt],
      );
      for (const row of rows) yield row.id;
      if (rows.length < EXPORT_BATCH) return;
      after = rows[rows.length - 1].id;
    }
  }
}

function json(value: unknown): Buffer {
  return Buffer.from(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Adds `source` as the next entry and waits until yazl has read all of it. The source is destroyed
 * when the export is aborted, and its errors reject here instead of going unhandled.
 */
async function addStream(zip: ZipFile, source: Readable, path: string, options: Partial<ReadStreamOptions>, signal: AbortSignal): Promise<void> {
  addAbortSignal(signal, source);
  zip.addReadStream(source, path, options);
  await finished(source, { writable: false });
}
