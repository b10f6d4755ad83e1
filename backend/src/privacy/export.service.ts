import { Injectable, Logger, NotFoundException } from '@nestjs/common';
import { addAbortSignal, type PassThrough, Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { type ReadStreamOptions, ZipFile } from 'yazl';
import { AttachmentsService } from '../attachments/attachments.service.js';
import { StorageNotFoundError } from '../attachments/storage/storage.js';
import { SessionLifecycleService } from '../auth/session-lifecycle.service.js';
import { PasskeysService } from '../auth/passkeys/passkeys.service.js';
import { Clock } from '../common/clock.js';
import { ConversationsService, type ExportedConversationRow } from '../conversations/conversations.service.js';
import { TotpService } from '../auth/totp.service.js';
import { CrossSigningService } from '../e2ee/cross-signing.service.js';
import type { BackupVersionDto } from '../e2ee/dto/key-backup.dto.js';
import { E2eeService } from '../e2ee/e2ee.service.js';
import { KeyBackupService } from '../e2ee/key-backup.service.js';
import { PushService } from '../push/push.service.js';
import { FriendsService } from '../friends/friends.service.js';
import { type MessageDto, toMessageDto } from '../messages/dto/message.dto.js';
import { MessagesService } from '../messages/messages.service.js';
import { toUserDto, toUserSummaryDto, type UserSummaryDto } from '../users/dto/user.dto.js';
import { UsersService } from '../users/users.service.js';
import { attachmentEntryName, EXPORT_FORMAT, EXPORT_README, exportFileName, jsonDocument } from './export-format.js';

/** A message in an export: as the API answers it, and whether it is ciphertext only the users' devices can read. */
type ExportedMessage = MessageDto & { encrypted: boolean };

/** Rows read per query: messages of a conversation, uploads of the user. */
export const EXPORT_BATCH = 500;

export interface UserExport {
  /** `iris-export-<username>-<date>.zip` */
  fileName: string;
  /** The zip, written while it is read. */
  stream: Readable;
}

/** An export slower than this is cut off. */
const EXPORT_MAX_MS = 30 * 60_000;

const summary = (id: string, username: string, displayName: string): UserSummaryDto => toUserSummaryDto({ id, username, displayName });

/**
 * Everything the server holds about a user (GDPR Art. 15 and 20), as a zip written while it is sent:
 * profile and sessions (with the encryption identity, key backup, two-factor and push state), the key
 * backup's sessions (ciphertext), friends, requests and blocks, each conversation the user is in with every message
 * they can still see, and the files they uploaded. Expired messages and their files are left out exactly
 * as the rest of the API leaves them out; the peer's files appear only as metadata.
 */
@Injectable()
export class ExportService {
  private readonly logger = new Logger(ExportService.name);

  constructor(
    private readonly usersService: UsersService,
    private readonly friendsService: FriendsService,
    private readonly conversationsService: ConversationsService,
    private readonly messagesService: MessagesService,
    private readonly attachmentsService: AttachmentsService,
    private readonly sessionLifecycle: SessionLifecycleService,
    private readonly passkeysService: PasskeysService,
    private readonly e2eeService: E2eeService,
    private readonly crossSigning: CrossSigningService,
    private readonly keyBackup: KeyBackupService,
    private readonly totp: TotpService,
    private readonly push: PushService,
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
      sessions: await this.sessionLifecycle.exportSessions(userId),
      passkeys: await this.passkeysService.exportOf(userId),
      e2eeDevices: await this.e2eeService.exportDevices(userId),
      crossSigningKeys: await this.crossSigning.exportOf(userId),
      keyBackup: null as BackupVersionDto | null,
      twoFactor: await this.totp.exportOf(userId),
      pushSubscriptions: await this.push.exportOf(userId),
      mutedConversations: [] as string[],
    };
    const friends = await this.friendsService.exportOf(userId);
    const conversations = await this.conversationsService.exportList(userId);
    profile.mutedConversations = conversations.filter((conversation) => conversation.muted).map((conversation) => conversation.id);
    const backup = await this.keyBackup.exportOf(userId);
    profile.keyBackup = backup?.version ?? null;

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
    if (user.avatarId) {
      const picture = await this.attachmentsService.readAvatar(user.avatarId, 'large').catch((error: unknown) => {
        if (error instanceof StorageNotFoundError) return null;
        throw error;
      });
      if (picture) zip.addReadStream(picture.body, 'profile-picture.webp', { mtime: user.updatedAt, size: picture.size, compress: false });
    }
    const keyBackup = backup && { version: backup.version.version, sessions: backup.sessions };
    // A slow reader must not turn a short-lived token into a lasting view: the export holds what existed
    // when it started, stops when the session that asked for it ends, and has a time limit.
    const stillAllowed = async () => {
      if (this.clock.now().getTime() - now.getTime() > EXPORT_MAX_MS) throw new Error('The export took longer than its time limit');
      if (!(await this.sessionLifecycle.openSessionIds([sessionId])).has(sessionId)) throw new Error('The session that asked for the export has ended');
    };
    void this.writeRest(zip, userId, keyBackup, conversations, now, abort.signal, stillAllowed).catch(fail);
    return { fileName: exportFileName(user.username, now), stream: output };
  }

  /** One entry at a time, each added only once the previous one is written, so at most one source is open. */
  private async writeRest(
    zip: ZipFile,
    userId: string,
    keyBackup: { version: string; sessions: AsyncIterable<unknown> } | null,
    conversations: ExportedConversationRow[],
    now: Date,
    signal: AbortSignal,
    stillAllowed: () => Promise<void>,
  ): Promise<void> {
    if (keyBackup) {
      await stillAllowed();
      const document = Readable.from(jsonDocument({ version: keyBackup.version }, 'sessions', keyBackup.sessions), { objectMode: false });
      await addStream(zip, document, 'key-backup.json', { mtime: now }, signal);
    }
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
      // Images, audio and video are compressed already; so is ciphertext, as far as zip can tell.
      const options = { mtime: attachment.createdAt, size, compress: attachment.kind === 'file' };
      await addStream(zip, body, attachmentEntryName(attachment.id, attachment.name), options, signal);
    }
    zip.end();
  }

  private async *conversationDocument(row: ExportedConversationRow, stillAllowed: () => Promise<void>): AsyncGenerator<string> {
    await stillAllowed();
    const head = {
      id: row.id,
      peer: row.peer_id ? summary(row.peer_id, row.peer_username!, row.peer_display_name!) : null,
      createdAt: row.created_at,
      lastActivityAt: row.last_activity_at,
      defaultExpiresInSeconds: row.default_expires_in_seconds,
      defaultExpiryMode: row.default_expiry_mode,
      encrypted: row.encrypted,
      lastReadSeq: row.last_read_seq,
      muted: row.muted,
      notices: await this.conversationsService.exportNotices(row.id),
    };
    yield* jsonDocument(head, 'messages', this.visibleMessages(row.id, row.last_seq, stillAllowed));
  }

  /** Oldest first, in batches by seq; the same visibility as history (tombstones yes, expired never). */
  private async *visibleMessages(conversationId: string, untilSeq: number, stillAllowed: () => Promise<void>): AsyncGenerator<ExportedMessage> {
    let after = 0;
    for (;;) {
      await stillAllowed();
      const batch = await this.messagesService.exportPage(conversationId, after, untilSeq, EXPORT_BATCH);
      const attachments = await this.attachmentsService.forMessages(batch.map((message) => message.id));
      for (const message of batch) {
        // A slow reader may take a while to get here: a message that expired meanwhile stays out.
        if (message.expiresAt && message.expiresAt <= this.clock.now()) continue;
        // Labelled, so that nobody mistakes the ciphertext for what was said: only the users' devices can read it.
        yield { ...toMessageDto(message, attachments.get(message.id)), encrypted: message.ciphertext !== null };
      }
      if (batch.length < EXPORT_BATCH) return;
      after = batch[batch.length - 1].seq;
    }
  }

  /** Every upload of the user, sent or not; which of them may be exported is decided one by one. */
  private async *uploadIds(userId: string, startedAt: Date): AsyncGenerator<string> {
    let after: string | null = null;
    for (;;) {
      const ids = await this.attachmentsService.uploadIds(userId, startedAt, after, EXPORT_BATCH);
      yield* ids;
      if (ids.length < EXPORT_BATCH) return;
      after = ids[ids.length - 1];
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
