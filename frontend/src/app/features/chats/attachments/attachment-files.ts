import { HttpErrorResponse } from '@angular/common/http';
import { effect, inject, Injectable, InjectionToken } from '@angular/core';
import { Api } from '../../../../sdk/api';
import { attachmentsDownload } from '../../../../sdk/fn/attachments/attachments-download';
import { attachmentsThumbnail } from '../../../../sdk/fn/attachments/attachments-thumbnail';
import type { AttachmentDto } from '../../../../sdk/models/attachment-dto';
import { AuthStore } from '../../../core/auth-store';
import { AttachmentCipher } from '../../../core/crypto/attachment-cipher';
import type { EncryptedAttachmentInfo } from '../../../core/crypto/message-content';
import { kindOf } from '../../../shared/message-preview';

export type FileVariant = 'original' | 'thumbnail';

/** An attachment as the views show it; an encrypted one carries how to open its blobs. */
export type ShownAttachment = AttachmentDto & { encryption?: EncryptedAttachmentInfo };

/** Encrypts and decrypts files in a worker, for the whole page. */
export const ATTACHMENT_CIPHER = new InjectionToken<AttachmentCipher>('ATTACHMENT_CIPHER', {
  providedIn: 'root',
  factory: () => new AttachmentCipher(),
});

/**
 * An encrypted message's attachment in the shape the views know, with its real type, name and size
 * from the decrypted content; `thumbnailUrl` only says that a thumbnail exists (it is fetched by id).
 */
export function encryptedAttachment(info: EncryptedAttachmentInfo, createdAt: string): ShownAttachment {
  return {
    id: info.id,
    kind: kindOf(info.mimetype),
    mimeType: info.mimetype,
    name: info.name,
    size: info.size,
    width: info.width ?? null,
    height: info.height ?? null,
    durationSeconds: info.durationSeconds ?? null,
    thumbnailUrl: info.thumbnail ? `encrypted:${info.thumbnail.id}` : null,
    url: `encrypted:${info.id}`,
    createdAt,
    encryption: info,
  };
}

/** Bytes of files no view shows any more that stay in memory for when they are shown again. */
const KEEP_BYTES = 64 * 1024 * 1024;

interface Entry {
  blob: Promise<Blob>;
  users: number;
  /** Whether it may stay once unused: never for a message with a timer. */
  keep: boolean;
  bytes: number;
}

/**
 * Attachment files, fetched through the SDK (they need the access token, so an `<img src>` to the API
 * cannot load them) and held in memory for the page. Each view takes a file with `get` and gives it
 * back with `release`; files of timed messages are forgotten as soon as no view shows them, the
 * others stay until the memory budget pushes them out, or the user changes.
 */
@Injectable({ providedIn: 'root' })
export class AttachmentFiles {
  private readonly api = inject(Api);
  private readonly cipher = inject(ATTACHMENT_CIPHER);
  private readonly entries = new Map<string, Entry>();

  constructor() {
    const auth = inject(AuthStore);
    let userId: string | null | undefined;
    effect(() => {
      const id = auth.user()?.id ?? null;
      if (userId !== undefined && id !== userId) this.entries.clear();
      userId = id;
    });
  }

  /** The file's contents; every call must be matched by one `release` when the view goes. */
  get(attachment: ShownAttachment, variant: FileVariant, options: { keep: boolean }): Promise<Blob> {
    const key = keyOf(attachment.id, variant);
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { blob: this.fetch(attachment, variant), users: 0, keep: options.keep, bytes: variant === 'original' ? attachment.size : 0 };
      const created = entry;
      this.entries.set(key, created);
      created.blob.then(
        (blob) => (created.bytes = blob.size),
        // A failed fetch is not kept: the next view tries again.
        () => this.entries.get(key) === created && this.entries.delete(key),
      );
    }
    entry.keep &&= options.keep;
    entry.users++;
    return entry.blob;
  }

  release(attachmentId: string, variant: FileVariant): void {
    const key = keyOf(attachmentId, variant);
    const entry = this.entries.get(key);
    if (!entry) return;
    entry.users = Math.max(0, entry.users - 1);
    if (entry.users > 0) return;
    this.entries.delete(key);
    if (!entry.keep) return;
    // Most recently used last, so the oldest unused go first.
    this.entries.set(key, entry);
    this.trim();
  }

  private trim(): void {
    let kept = 0;
    for (const entry of this.entries.values()) if (entry.users === 0) kept += entry.bytes;
    for (const [key, entry] of this.entries) {
      if (kept <= KEEP_BYTES) return;
      if (entry.users > 0) continue;
      this.entries.delete(key);
      kept -= entry.bytes;
    }
  }

  private async fetch(attachment: ShownAttachment, variant: FileVariant): Promise<Blob> {
    const id = attachment.id;
    try {
      if (attachment.encryption) return await this.decrypted(attachment.encryption, variant);
      return await (variant === 'thumbnail' ? this.api.invoke(attachmentsThumbnail, { id }) : this.api.invoke(attachmentsDownload, { id }));
    } catch (error) {
      throw await withJsonBody(error);
    }
  }

  /** An encrypted blob, downloaded, checked against its hash and decrypted (in the worker), with its real type. */
  private async decrypted(info: EncryptedAttachmentInfo, variant: FileVariant): Promise<Blob> {
    const file = variant === 'thumbnail' && info.thumbnail ? info.thumbnail : info;
    const blob = await this.api.invoke(attachmentsDownload, { id: file.id });
    const bytes = await this.cipher.decrypt(await blob.arrayBuffer(), file);
    return new Blob([bytes], { type: file.mimetype });
  }
}

/** A blob request's error arrives with its JSON body as a Blob: read it, so the error code can be told in words. */
async function withJsonBody(error: unknown): Promise<unknown> {
  if (!(error instanceof HttpErrorResponse) || !(error.error instanceof Blob)) return error;
  try {
    const body: unknown = JSON.parse(await error.error.text());
    return new HttpErrorResponse({ error: body, headers: error.headers, status: error.status, statusText: error.statusText, url: error.url ?? undefined });
  } catch {
    return error;
  }
}

function keyOf(id: string, variant: FileVariant): string {
  return `${variant}:${id}`;
}

/** Hands a file to the browser's download, under its own name. */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.rel = 'noopener';
  link.style.display = 'none';
  document.body.append(link);
  link.click();
  link.remove();
  // The download reads the URL after this task; give it time before letting the memory go.
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}
