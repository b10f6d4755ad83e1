import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { AppConfig } from '../config/app-config.js';
import type { Tx } from '../database/transaction.js';
import type { Attachment } from './attachment.entity.js';
import { AttachmentsRepository } from './attachments.repository.js';
import { ALL_KINDS, type AttachmentConfigDto, type AttachmentDto, MAX_ATTACHMENTS_PER_MESSAGE, toAttachmentDto } from './dto/attachment.dto.js';
import { attachmentNotFound } from './errors.js';
import { FilePurgeService } from './file-purge.service.js';
import { MAX_IMAGE_PIXELS } from './media.js';
import { type ByteRange, Storage, type StoredObject } from './storage/storage.js';
import { avatarKeys, type IncomingFile, UploadService } from './upload.service.js';

/** Uploads never sent in a message are deleted after this long. */
export const UNATTACHED_RETENTION_HOURS = 24;
export const UNATTACHED_RETENTION_MS = UNATTACHED_RETENTION_HOURS * 3_600_000;

/** An attachment a caller may download, and whether its message has a timer (then nothing may cache it). */
export interface Download {
  attachment: Attachment;
  timed: boolean;
}

@Injectable()
export class AttachmentsService {
  constructor(
    private readonly attachments: AttachmentsRepository,
    private readonly uploads: UploadService,
    private readonly purge: FilePurgeService,
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

  /** See UploadService.upload. */
  upload(userId: string, file: IncomingFile): Promise<AttachmentDto> {
    return this.uploads.upload(userId, file);
  }

  /** See UploadService.uploadEncrypted. */
  uploadEncrypted(userId: string, file: IncomingFile): Promise<AttachmentDto> {
    return this.uploads.uploadEncrypted(userId, file);
  }

  /** Adds a file already on local disk as an upload of `userId` (the seed uses it). The file is left where it is. */
  uploadFile(userId: string, path: string, claimed: { name: string; mimeType: string }): Promise<AttachmentDto> {
    return this.uploads.uploadFile(userId, path, claimed);
  }

  /** See UploadService.uploadAvatar. */
  uploadAvatar(userId: string, file: IncomingFile, use: (tx: Tx, avatarId: string) => Promise<void>): Promise<string> {
    return this.uploads.uploadAvatar(userId, file, use);
  }

  /** Where a profile picture's two files are stored (for removing them right away). */
  avatarKeys(avatarId: string): string[] {
    return avatarKeys(avatarId);
  }

  /** A profile picture's file: the 256 px square, or the 64 px one. */
  readAvatar(avatarId: string, size: 'large' | 'small'): Promise<StoredObject> {
    return this.storage.get(avatarKeys(avatarId)[size === 'large' ? 0 : 1]);
  }

  /**
   * The attachment if the caller may see it: a member of the conversation of a message that is
   * neither deleted nor expired, or the uploader of a file not yet sent. 404 otherwise.
   */
  async findDownloadable(userId: string, attachmentId: string): Promise<Download> {
    const now = this.clock.now();
    const attachment = await this.attachments.findDownloadable(userId, attachmentId, now, new Date(now.getTime() - UNATTACHED_RETENTION_MS));
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
  async attach(tx: Tx, uploaderId: string, messageId: string, attachmentIds: string[]): Promise<Attachment[]> {
    if (attachmentIds.length === 0) return [];
    const cutoff = new Date(this.clock.now().getTime() - UNATTACHED_RETENTION_MS);
    const rows = await this.attachments.attach(tx, uploaderId, messageId, attachmentIds, cutoff);
    if (rows.length !== attachmentIds.length) throw attachmentNotFound();
    return rows.sort((a, b) => a.position - b.position);
  }

  /** The attachments of each message, in order; messages without any are absent from the map. */
  async forMessages(messageIds: string[], tx?: Tx): Promise<Map<string, AttachmentDto[]>> {
    const byMessage = new Map<string, AttachmentDto[]>();
    if (messageIds.length === 0) return byMessage;
    const attachments = await this.attachments.forMessages(messageIds, tx);
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
  deleteForMessage(tx: Tx, messageId: string): Promise<string[]> {
    return this.attachments.deleteForMessage(tx, messageId);
  }

  /** The storage keys of every file a user uploaded (for removing them right after their erasure). */
  keysOfUploader(tx: Tx, userId: string): Promise<string[]> {
    return this.attachments.keysOfUploader(tx, userId);
  }

  /** Deletes uploads never attached within the retention time; their files join the deletion queue. */
  async deleteUnattached(): Promise<number> {
    const cutoff = new Date(this.clock.now().getTime() - UNATTACHED_RETENTION_MS);
    return this.attachments.deleteUnattached(cutoff);
  }

  /** See FilePurgeService.purgeQueuedFiles. */
  purgeQueuedFiles(): Promise<number> {
    return this.purge.purgeQueuedFiles();
  }

  /** Removes these queued files now, waiting a few seconds at most; never throws (FilePurgeService.purgeKeys). */
  purgeKeys(keys: string[]): Promise<void> {
    return this.purge.purgeKeys(keys);
  }

  /** For an erasure, inside its transaction: how many uploads the user has, and their bytes. */
  erasureCounts(tx: Tx, userId: string): Promise<{ attachments: number; attachmentBytes: number }> {
    return this.attachments.countOfUploader(tx, userId);
  }

  /** Ids of a user's uploads made until `until`, a batch after `after` (by id), for an export. */
  uploadIds(userId: string, until: Date, after: string | null, limit: number): Promise<string[]> {
    return this.attachments.uploadIds(userId, until, after, limit);
  }
}
