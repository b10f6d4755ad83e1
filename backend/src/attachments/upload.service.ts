import type { MultipartFile } from '@fastify/multipart';
import { HttpException, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { copyFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Clock } from '../common/clock.js';
import { Transactions, type Tx } from '../database/transaction.js';
import { AppConfig } from '../config/app-config.js';
import type { Attachment, AttachmentKind } from './attachment.entity.js';
import { AttachmentsRepository } from './attachments.repository.js';
import { type AttachmentDto, toAttachmentDto } from './dto/attachment.dto.js';
import { accountGone, emptyFile, fileTooLarge, mediaHttpError, multipartError, notAnImage, storageUnavailable, unreadableUpload } from './errors.js';
import { FilePurgeService } from './file-purge.service.js';
import { detectType, probeDuration, processAvatar, processImage, sanitiseFileName } from './media.js';
import { isMp4Family, stripMp4Metadata } from './mp4-metadata.js';
import { Storage } from './storage/storage.js';

/** What an encrypted blob is stored as: nothing about the file it hides. */
export const ENCRYPTED_BLOB = { mimeType: 'application/octet-stream', name: 'encrypted.bin' } as const;

/** Where a profile picture's files are stored: the 256 px square, then the 64 px one. */
export const avatarKeys = (avatarId: string): [string, string] => [`originals/${avatarId}`, `thumbnails/${avatarId}`];

/** The file part of a multipart upload, and the check, run once the file is read, that no other part follows. */
export interface IncomingFile {
  part: MultipartFile;
  assertLastPart(): Promise<void>;
}

/** How long stored files of an upload in progress wait before the sweep may assume it died. */
const PENDING_UPLOAD_GRACE_MS = 3_600_000;

/** Takes uploads in: receives the bytes, checks and processes them, stores the files and records the row. */
@Injectable()
export class UploadService {
  private readonly logger = new Logger(UploadService.name);

  constructor(
    private readonly attachments: AttachmentsRepository,
    private readonly purge: FilePurgeService,
    private readonly storage: Storage,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly transactions: Transactions,
  ) {}

  /**
   * Streams the upload to a file of its own (never wholly in memory), stopping at MAX_UPLOAD_MB;
   * decides the type from the bytes; re-encodes images without metadata and makes a thumbnail; then
   * records the row and stores the files. Every temporary file is removed whatever happens.
   */
  async upload(userId: string, { part, assertLastPart }: IncomingFile): Promise<AttachmentDto> {
    const incoming = join(this.storage.incomingDir, randomUUID());
    try {
      await this.receive(part, incoming);
      await assertLastPart();
      return await this.ingest(userId, incoming, { name: part.filename, mimeType: part.mimetype });
    } finally {
      await rm(incoming, { force: true });
    }
  }

  /**
   * Stores an encrypted blob exactly as it came: no typing from its bytes (they are ciphertext), no image
   * processing, no thumbnail, a neutral name and type. Same size limit as any upload.
   */
  async uploadEncrypted(userId: string, { part, assertLastPart }: IncomingFile): Promise<AttachmentDto> {
    const incoming = join(this.storage.incomingDir, randomUUID());
    try {
      await this.receive(part, incoming);
      await assertLastPart();
      const size = (await stat(incoming)).size;
      if (size === 0) throw emptyFile();
      return await this.store(userId, { kind: 'encrypted', ...ENCRYPTED_BLOB, size, width: null, height: null, durationSeconds: null }, incoming, null);
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
      if (received === 0) throw emptyFile();

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
        const image = await processImage(userId, incoming, mimeType, stored, thumbnail).catch(mediaHttpError);
        storedType = image.mimeType;
        dimensions = image;
      } else if (kind === 'video' || kind === 'audio') {
        if (isMp4Family(mimeType)) await stripMp4Metadata(incoming).catch(mediaHttpError);
        durationSeconds = await probeDuration(incoming);
      }

      const file = {
        kind,
        mimeType: storedType,
        size: (await stat(stored)).size,
        name,
        width: dimensions?.width ?? null,
        height: dimensions?.height ?? null,
        durationSeconds,
      };
      return await this.store(userId, file, stored, thumbnail);
    } finally {
      await Promise.all(temporary.map((path) => rm(path, { force: true })));
    }
  }

  /** Stores the file (and thumbnail) under new keys and records the row. */
  private async store(
    userId: string,
    file: Pick<Attachment, 'kind' | 'mimeType' | 'size' | 'name' | 'width' | 'height' | 'durationSeconds'>,
    stored: string,
    thumbnail: string | null,
  ): Promise<AttachmentDto> {
    const now = this.clock.now();
    const row = {
      ...file,
      uploaderId: userId,
      messageId: null,
      position: 0,
      storageKey: `originals/${randomUUID()}`,
      thumbnailKey: thumbnail ? `thumbnails/${randomUUID()}` : null,
      createdAt: now,
    };
    const keys = [row.storageKey, row.thumbnailKey].filter((key): key is string => key !== null);
    // Queued for deletion before they exist, due in an hour: if the process dies while storing, or the
    // row can never be written (the uploader was erased meanwhile), the sweep removes the files.
    await this.attachments.queueDeletion(keys, new Date(now.getTime() + PENDING_UPLOAD_GRACE_MS));
    try {
      await this.storage.putFile(row.storageKey, stored, row.mimeType);
      if (thumbnail && row.thumbnailKey) await this.storage.putFile(row.thumbnailKey, thumbnail, 'image/webp');
    } catch (error) {
      // A full disk or an unreachable bucket: nothing the client did. What was stored goes now (or with the sweep).
      this.logger.error(`Storing an upload failed: ${(error as Error)?.message ?? String(error)}`);
      await this.purge.purgeKeys(keys);
      throw storageUnavailable();
    }
    let attachment: Attachment;
    try {
      attachment = await this.attachments.create(row, keys);
    } catch (error) {
      await this.purge.purgeKeys(keys);
      // A foreign-key violation here means the uploader's account was erased during the upload.
      if ((error as { code?: string }).code === '23503') throw accountGone();
      throw error;
    }
    return toAttachmentDto(attachment);
  }

  /**
   * Receives a profile picture, makes its two squares (processAvatar) and stores them under a new id;
   * `use` then records that id inside a transaction that also takes the files off the deletion queue,
   * so they are kept exactly when the row points at them. Answers the new id.
   */
  async uploadAvatar(userId: string, { part, assertLastPart }: IncomingFile, use: (tx: Tx, avatarId: string) => Promise<void>): Promise<string> {
    const incoming = join(this.storage.incomingDir, randomUUID());
    const [large, small] = [`${incoming}.avatar`, `${incoming}.avatar-small`];
    try {
      await this.receive(part, incoming);
      await assertLastPart();
      if ((await stat(incoming)).size === 0) throw emptyFile();
      const { kind } = await this.detect(incoming, part.mimetype, sanitiseFileName(part.filename));
      if (kind !== 'image') throw notAnImage();
      await processAvatar(userId, incoming, large, small).catch(mediaHttpError);
      const avatarId = randomUUID();
      const keys = avatarKeys(avatarId);
      await this.attachments.queueDeletion(keys, new Date(this.clock.now().getTime() + PENDING_UPLOAD_GRACE_MS));
      try {
        await this.storage.putFile(keys[0], large, 'image/webp');
        await this.storage.putFile(keys[1], small, 'image/webp');
        await this.transactions.run(async (tx) => {
          await use(tx, avatarId);
          await this.attachments.unqueueDeletion(tx, keys);
        });
      } catch (error) {
        await this.purge.purgeKeys(keys);
        if (error instanceof HttpException) throw error;
        this.logger.error(`Storing a profile picture failed: ${(error as Error)?.message ?? String(error)}`);
        throw storageUnavailable();
      }
      return avatarId;
    } finally {
      await Promise.all([incoming, large, small].map((path) => rm(path, { force: true })));
    }
  }

  private async receive(part: MultipartFile, path: string): Promise<void> {
    try {
      await pipeline(part.file, createWriteStream(path, { flags: 'wx' }));
    } catch (error) {
      const known = multipartError(error);
      if (known) throw known;
      // The disk failing is ours (500); anything else broke in the body the client sent.
      if ((error as NodeJS.ErrnoException).syscall) throw error;
      throw unreadableUpload();
    }
    // Without throwFileSizeLimit the stream ends early instead of failing; refuse either way.
    if (part.file.truncated) throw fileTooLarge(this.config.MAX_UPLOAD_MB);
  }

  private async detect(path: string, claimedType: string, name: string): Promise<{ mimeType: string; kind: AttachmentKind }> {
    return detectType(path, { mimeType: claimedType, name }).catch(mediaHttpError);
  }
}
