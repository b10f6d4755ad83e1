import type { MultipartFile } from '@fastify/multipart';
import {
  BadRequestException,
  Injectable,
  Logger,
  NotFoundException,
  type OnApplicationShutdown,
  PayloadTooLargeException,
  ServiceUnavailableException,
  UnauthorizedException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { copyFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { DataSource, type EntityManager } from 'typeorm';
import { Clock } from '../common/clock.js';
import { AppConfig } from '../config/app-config.js';
import { Attachment, attachmentFromRow, type AttachmentKind, type AttachmentRow } from './attachment.entity.js';
import { ALL_KINDS, type AttachmentConfigDto, type AttachmentDto, MAX_ATTACHMENTS_PER_MESSAGE, toAttachmentDto } from './dto/attachment.dto.js';
import { detectType, MAX_IMAGE_PIXELS, MediaError, probeDuration, processImage, sanitiseFileName } from './media.js';
import { type ByteRange, Storage, type StoredObject } from './storage/storage.js';

/** Uploads never sent in a message are deleted after this long. */
export const UNATTACHED_RETENTION_HOURS = 24;
const UNATTACHED_RETENTION_MS = UNATTACHED_RETENTION_HOURS * 3_600_000;
/** Files removed per batch of the deletion queue. */
const PURGE_BATCH = 100;
const MAX_RETRY_DELAY_MS = 3_600_000;

/** How long stored files of an upload in progress wait before the sweep may assume it died. */
const PENDING_UPLOAD_GRACE_MS = 3_600_000;
/** A claimed queue entry is not retried by another instance before this lease ends. */
const PURGE_LEASE_MS = 5 * 60_000;
/** How long a delete or erasure waits for its files to be removed before answering anyway. */
const INLINE_PURGE_TIMEOUT_MS = 3_000;

export const attachmentNotFound = () => new NotFoundException({ code: 'ATTACHMENT_NOT_FOUND', message: 'Attachment not found' });

/** An attachment a caller may download, and whether its message has a timer (then nothing may cache it). */
export interface Download {
  attachment: Attachment;
  timed: boolean;
}

@Injectable()
export class AttachmentsService implements OnApplicationShutdown {
  private readonly logger = new Logger(AttachmentsService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly storage: Storage,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  getConfig(): AttachmentConfigDto {
    return {
      maxUploadBytes: this.config.maxUploadBytes,
      maxAttachmentsPerMessage: MAX_ATTACHMENTS_PER_MESSAGE,
      maxImagePixels: MAX_IMAGE_PIXELS,
      kinds: ALL_KINDS,
      unattachedRetentionHours: UNATTACHED_RETENTION_HOURS,
    };
  }

  /**
   * Streams the upload to a file of its own (never wholly in memory), stopping at MAX_UPLOAD_MB;
   * decides the type from the bytes; re-encodes images without metadata and makes a thumbnail; then
   * records the row and stores the files. Every temporary file is removed whatever happens.
   */
  async upload(userId: string, part: MultipartFile): Promise<AttachmentDto> {
    const incoming = join(this.storage.incomingDir, randomUUID());
    try {
      await this.receive(part, incoming);
      return await this.ingest(userId, incoming, { name: part.filename, mimeType: part.mimetype });
    } finally {
      await rm(incoming, { force: true });
    }
  }

  /** Adds a file already on local disk as an upload of `userId` (the seed uses it). The file is left where it is. */
  async uploadFile(userId: string, path: string, claimed: { name: string; mimeType: string }): Promise<AttachmentDto> {
    const incoming = join(this.storage.incomingDir, randomUUID());
    try {
      await copyFile(path, incoming);
      return await this.ingest(userId, incoming, claimed);
    } finally {
      await rm(incoming, { force: true });
    }
  }

  /** Checks, processes and stores a file in the incoming directory (the caller removes it if it is still there). */
  private async ingest(userId: string, incoming: string, claimed: { name: string | undefined; mimeType: string }): Promise<AttachmentDto> {
    const temporary: string[] = [];
    try {
      const received = (await stat(incoming)).size;
      if (received === 0) throw new BadRequestException({ code: 'EMPTY_FILE', message: 'The file is empty' });

      const name = sanitiseFileName(claimed.name);
      const { mimeType, kind } = await this.detect(incoming, claimed.mimeType, name);
      let stored = incoming;
      let thumbnail: string | null = null;
      let storedType = mimeType;
      let dimensions: { width: number; height: number } | null = null;
      let durationSeconds: number | null = null;
      if (kind === 'image') {
        stored = `${incoming}.image`;
        thumbnail = `${incoming}.thumbnail`;
        temporary.push(stored, thumbnail);
        const image = await processImage(incoming, mimeType, stored, thumbnail).catch(toHttpError);
        storedType = image.mimeType;
        dimensions = image;
      } else if (kind === 'video' || kind === 'audio') {
        durationSeconds = await probeDuration(incoming);
      }

      const now = this.clock.now();
      const row = {
        uploaderId: userId,
        messageId: null,
        position: 0,
        kind,
        mimeType: storedType,
        size: (await stat(stored)).size,
        name,
        width: dimensions?.width ?? null,
        height: dimensions?.height ?? null,
        durationSeconds,
        storageKey: `originals/${randomUUID()}`,
        thumbnailKey: thumbnail ? `thumbnails/${randomUUID()}` : null,
        createdAt: now,
      };
      const keys = [row.storageKey, row.thumbnailKey].filter((key): key is string => key !== null);
      // Queued for deletion before they exist, due in an hour: if the process dies while storing, or the
      // row can never be written (the uploader was erased meanwhile), the sweep removes the files.
      await this.dataSource.query(
        `INSERT INTO storage_deletions (storage_key, next_attempt_at) SELECT unnest($1::varchar[]), $2`,
        [keys, new Date(now.getTime() + PENDING_UPLOAD_GRACE_MS)],
      );
      try {
        await this.storage.putFile(row.storageKey, stored, storedType);
        if (thumbnail && row.thumbnailKey) await this.storage.putFile(row.thumbnailKey, thumbnail, 'image/webp');
      } catch (error) {
        // A full disk or an unreachable bucket: nothing the client did. What was stored goes now (or with the sweep).
        this.logger.error(`Storing an upload failed: ${(error as Error)?.message ?? String(error)}`);
        await this.purgeKeys(keys);
        throw new ServiceUnavailableException({ code: 'STORAGE_UNAVAILABLE', message: 'The file could not be stored; try again later' });
      }
      let attachment: Attachment;
      try {
        attachment = await this.dataSource.transaction(async (manager) => {
          const saved = await manager.getRepository(Attachment).save(row);
          await manager.query(`DELETE FROM storage_deletions WHERE storage_key = ANY($1)`, [keys]);
          return saved;
        });
      } catch (error) {
        await this.purgeKeys(keys);
        // A foreign-key violation here means the uploader's account was erased during the upload.
        if ((error as { code?: string }).code === '23503') throw new UnauthorizedException({ code: 'UNAUTHORIZED', message: 'The account no longer exists' });
        throw error;
      }
      return toAttachmentDto(attachment);
    } finally {
      await Promise.all(temporary.map((path) => rm(path, { force: true })));
    }
  }

  /**
   * The attachment if the caller may see it: a member of the conversation of a message that is
   * neither deleted nor expired, or the uploader of a file not yet sent. 404 otherwise.
   */
  async findDownloadable(userId: string, attachmentId: string): Promise<Download> {
    const now = this.clock.now();
    const attachment = await this.dataSource
      .getRepository(Attachment)
      .createQueryBuilder('a')
      .leftJoinAndSelect('a.message', 'm')
      .where('a.id = :attachmentId', { attachmentId })
      .andWhere(
        `((a.message_id IS NULL AND a.uploader_id = :userId AND a.created_at > :cutoff)
          OR (m.deleted_at IS NULL AND (m.expires_at IS NULL OR m.expires_at > :now)
              AND EXISTS (SELECT 1 FROM conversation_members cm WHERE cm.conversation_id = m.conversation_id AND cm.user_id = :userId)))`,
        { userId, now, cutoff: new Date(now.getTime() - UNATTACHED_RETENTION_MS) },
      )
      .getOne();
    if (!attachment) throw attachmentNotFound();
    return { attachment, timed: (attachment.message?.expiresInSeconds ?? null) !== null };
  }

  read(key: string, range?: ByteRange): Promise<StoredObject> {
    return this.storage.get(key, range);
  }

  /**
   * Inside the send transaction: gives the message the caller's own, not yet attached, uploads in the
   * order given. The row locks make two sends racing for one upload end with one 404.
   */
  async attach(manager: EntityManager, uploaderId: string, messageId: string, attachmentIds: string[]): Promise<Attachment[]> {
    if (attachmentIds.length === 0) return [];
    const cutoff = new Date(this.clock.now().getTime() - UNATTACHED_RETENTION_MS);
    const [rows]: [AttachmentRow[], number] = await manager.query(
      `UPDATE attachments SET message_id = $1, position = array_position($2::uuid[], id) - 1
        WHERE id = ANY($2::uuid[]) AND uploader_id = $3 AND message_id IS NULL AND created_at > $4
        RETURNING *`,
      [messageId, attachmentIds, uploaderId, cutoff],
    );
    if (rows.length !== attachmentIds.length) throw attachmentNotFound();
    return rows.map(attachmentFromRow).sort((a, b) => a.position - b.position);
  }

  /** The attachments of each message, in order; messages without any are absent from the map. */
  async forMessages(messageIds: string[], manager: EntityManager = this.dataSource.manager): Promise<Map<string, AttachmentDto[]>> {
    const byMessage = new Map<string, AttachmentDto[]>();
    if (messageIds.length === 0) return byMessage;
    const attachments = await manager
      .getRepository(Attachment)
      .createQueryBuilder('a')
      .where('a.message_id = ANY(:messageIds)', { messageIds })
      .orderBy('a.message_id')
      .addOrderBy('a.position')
      .getMany();
    for (const attachment of attachments) {
      const list = byMessage.get(attachment.messageId!) ?? [];
      list.push(toAttachmentDto(attachment));
      byMessage.set(attachment.messageId!, list);
    }
    return byMessage;
  }

  /**
   * Inside a transaction: deletes a message's attachments (the trigger queues their files) and returns
   * the storage keys, for `purgeKeys` after the commit.
   */
  async deleteForMessage(manager: EntityManager, messageId: string): Promise<string[]> {
    const [rows]: [{ storage_key: string; thumbnail_key: string | null }[], number] = await manager.query(
      `DELETE FROM attachments WHERE message_id = $1 RETURNING storage_key, thumbnail_key`,
      [messageId],
    );
    return rows.flatMap((row) => [row.storage_key, row.thumbnail_key].filter((key): key is string => key !== null));
  }

  /** The storage keys of every file a user uploaded (for removing them right after their erasure). */
  async keysOfUploader(manager: EntityManager, userId: string): Promise<string[]> {
    const rows: { storage_key: string; thumbnail_key: string | null }[] = await manager.query(
      `SELECT storage_key, thumbnail_key FROM attachments WHERE uploader_id = $1`,
      [userId],
    );
    return rows.flatMap((row) => [row.storage_key, row.thumbnail_key].filter((key): key is string => key !== null));
  }

  /** Deletes uploads never attached within the retention time; their files join the deletion queue. */
  async deleteUnattached(): Promise<number> {
    const cutoff = new Date(this.clock.now().getTime() - UNATTACHED_RETENTION_MS);
    const [, count]: [unknown[], number] = await this.dataSource.query(
      `DELETE FROM attachments WHERE id = ANY(ARRAY(
         SELECT id FROM attachments WHERE message_id IS NULL AND created_at <= $1 LIMIT 10000 FOR UPDATE SKIP LOCKED))`,
      [cutoff],
    );
    return count;
  }

  /**
   * Removes queued files from storage: everything due, in batches. A file that cannot be removed
   * stays queued with a growing delay and is tried again by a later sweep. Several instances may run
   * this at once: each batch is claimed with SKIP LOCKED and a lease, in a short transaction; storage is
   * called outside any transaction, so a slow storage never holds a database connection. Returns how
   * many files were removed.
   */
  async purgeQueuedFiles(): Promise<number> {
    let removed = 0;
    for (;;) {
      const claimed = await this.claim(null);
      removed += await this.remove(claimed);
      if (claimed.length < PURGE_BATCH) return removed;
    }
  }

  /**
   * Removes these queued files now (after a message delete or an erasure), waiting a few seconds at
   * most: whatever is not done by then stays queued for the sweep. Never throws.
   */
  async purgeKeys(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    const work = this.claim(keys).then((claimed) => this.remove(claimed));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, INLINE_PURGE_TIMEOUT_MS)));
    try {
      await Promise.race([work.then(() => undefined), timeout]);
    } catch (error) {
      this.logger.warn(`Files stay queued for the sweep: ${String(error)}`);
    } finally {
      clearTimeout(timer);
      work.catch(() => undefined);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.storage.close();
  }

  /**
   * Claims queue entries by moving their next attempt past a lease: every due one, or exactly `keys`
   * (the caller's own, whenever they are due: a delete removing an upload still marked as in flight).
   */
  private async claim(keys: string[] | null): Promise<{ storage_key: string; attempts: number }[]> {
    const now = this.clock.now();
    const [rows]: [{ storage_key: string; attempts: number }[], number] = await this.dataSource.query(
      `UPDATE storage_deletions SET next_attempt_at = $2, attempts = attempts + 1
        WHERE storage_key = ANY(ARRAY(
          SELECT storage_key FROM storage_deletions
           WHERE CASE WHEN $3::varchar[] IS NULL THEN next_attempt_at IS NULL OR next_attempt_at <= $1 ELSE storage_key = ANY($3) END
           ORDER BY queued_at LIMIT ${PURGE_BATCH} FOR UPDATE SKIP LOCKED))
        RETURNING storage_key, attempts`,
      [now, new Date(now.getTime() + PURGE_LEASE_MS), keys],
    );
    return rows;
  }

  /** Deletes claimed files from storage; forgets the ones done and backs off the others. */
  private async remove(claimed: { storage_key: string; attempts: number }[]): Promise<number> {
    if (claimed.length === 0) return 0;
    const outcomes = await Promise.allSettled(claimed.map(({ storage_key }) => this.storage.delete(storage_key)));
    const done: string[] = [];
    const now = this.clock.now();
    for (const [index, outcome] of outcomes.entries()) {
      const { storage_key: key, attempts } = claimed[index];
      if (outcome.status === 'fulfilled') {
        done.push(key);
        continue;
      }
      const delay = Math.min(MAX_RETRY_DELAY_MS, 10_000 * 2 ** (attempts - 1));
      this.logger.warn(`Could not delete stored file ${key} (attempt ${attempts}): ${String(outcome.reason)}`);
      await this.dataSource.query(`UPDATE storage_deletions SET next_attempt_at = $2, last_error = $3 WHERE storage_key = $1`, [
        key,
        new Date(now.getTime() + delay),
        String(outcome.reason).slice(0, 1000),
      ]);
    }
    if (done.length > 0) await this.dataSource.query(`DELETE FROM storage_deletions WHERE storage_key = ANY($1)`, [done]);
    return done.length;
  }

  private async receive(part: MultipartFile, path: string): Promise<void> {
    try {
      await pipeline(part.file, createWriteStream(path, { flags: 'wx' }));
    } catch (error) {
      const known = multipartError(error);
      if (known) throw known;
      // The disk failing is ours (500); anything else broke in the body the client sent.
      if ((error as NodeJS.ErrnoException).syscall) throw error;
      throw new BadRequestException({ code: 'INVALID_MULTIPART', message: 'The upload could not be read' });
    }
    // Without throwFileSizeLimit the stream ends early instead of failing; refuse either way.
    if (part.file.truncated) throw fileTooLarge(this.config.MAX_UPLOAD_MB);
  }

  private async detect(path: string, claimedType: string, name: string): Promise<{ mimeType: string; kind: AttachmentKind }> {
    return detectType(path, { mimeType: claimedType, name }).catch(toHttpError);
  }
}

export function fileTooLarge(maxMb: number): PayloadTooLargeException {
  return new PayloadTooLargeException({ code: 'FILE_TOO_LARGE', message: `Files may be at most ${maxMb} MB` });
}

/** @fastify/multipart's and busboy's errors as the API's 4xx errors; null for anything else. */
export function multipartError(error: unknown): Error | null {
  const code = (error as { code?: string }).code;
  switch (code) {
    case 'FST_REQ_FILE_TOO_LARGE':
      return new PayloadTooLargeException({ code: 'FILE_TOO_LARGE', message: (error as Error).message });
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return new UnsupportedMediaTypeException({ code: 'MULTIPART_REQUIRED', message: 'Send the file as multipart/form-data' });
    case 'FST_FILES_LIMIT':
    case 'FST_PARTS_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return new BadRequestException({ code: 'TOO_MANY_PARTS', message: 'Send exactly one file per upload' });
    case 'FST_PROTO_VIOLATION':
    case 'FST_MP_PREMATURE_CLOSE':
      return new BadRequestException({ code: 'INVALID_MULTIPART', message: 'The multipart body is malformed or incomplete' });
  }
  // @fastify/busboy reports a malformed body with plain Errors.
  if (
    error instanceof Error &&
    /^(Unexpected end of (multipart data|form)|Part terminated early|Malformed|Multipart: Boundary not found|The needle|.*bigger than 256)/.test(error.message)
  ) {
    return new BadRequestException({ code: 'INVALID_MULTIPART', message: 'The multipart body is malformed or incomplete' });
  }
  return null;
}

function toHttpError(error: unknown): never {
  if (!(error instanceof MediaError)) throw error;
  if (error.reason === 'IMAGE_TOO_LARGE') throw new PayloadTooLargeException({ code: error.reason, message: error.message });
  if (error.reason === 'BUSY') throw new ServiceUnavailableException({ code: 'SERVER_BUSY', message: error.message });
  throw new UnsupportedMediaTypeException({ code: error.reason, message: error.message });
}
