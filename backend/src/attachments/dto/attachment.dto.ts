import { ATTACHMENT_KINDS, type Attachment, type AttachmentKind } from '../attachment.entity.js';

export const MAX_ATTACHMENTS_PER_MESSAGE = 10;

export class AttachmentDto {
  id: string;
  /**
   * image (JPEG, PNG, WebP, GIF, AVIF, with a thumbnail), video, audio, or any other file; `encrypted` for
   * the opaque blobs of an encrypted conversation (no thumbnail, dimensions or duration: those travel encrypted).
   */
  kind: AttachmentKind;
  /** Decided by the server from the file's contents; `application/octet-stream` for an encrypted blob. */
  mimeType: string;
  /** Bytes, as stored (images are re-encoded without metadata, so this can differ from the upload). */
  size: number;
  /** The uploader's file name, sanitised; `encrypted.bin` for an encrypted blob (the real one is in the message). */
  name: string;
  /** Pixels, for images. */
  width?: number | null;
  height?: number | null;
  /** Playing time in seconds, for audio and video when the file says. */
  durationSeconds?: number | null;
  /** Where members of the conversation download it (supports Range). */
  url: string;
  /** A WebP preview of at most 320×320, for images. */
  thumbnailUrl?: string | null;
  createdAt: Date;
}

export class AttachmentConfigDto {
  /** Largest upload in bytes. */
  maxUploadBytes: number;
  /** Most attachments one message may carry. */
  maxAttachmentsPerMessage: number;
  /** Largest image, in pixels (width × height). */
  maxImagePixels: number;
  /** Every kind is accepted; images must really be images. */
  kinds: AttachmentKind[];
  /** Uploads not sent in a message within this many hours are deleted. */
  unattachedRetentionHours: number;
}

export const ALL_KINDS = [...ATTACHMENT_KINDS];

export function toAttachmentDto(attachment: Attachment): AttachmentDto {
  const url = `/api/attachments/${attachment.id}`;
  return {
    id: attachment.id,
    kind: attachment.kind,
    mimeType: attachment.mimeType,
    size: attachment.size,
    name: attachment.name,
    width: attachment.width,
    height: attachment.height,
    durationSeconds: attachment.durationSeconds,
    url,
    thumbnailUrl: attachment.thumbnailKey ? `${url}/thumbnail` : null,
    createdAt: attachment.createdAt,
  };
}
