import type { AttachmentCipher } from './attachment-cipher';
import { browserImageCodec, type ImageCodec, prepareImage, type Thumbnail, videoThumbnail } from './image-metadata';
import type { EncryptedAttachmentInfo, EncryptedThumbnailInfo } from './message-content';
import { isMp4Like, Mp4FormatError, stripMp4Metadata } from './mp4-metadata';

/**
 * What an encrypted conversation uploads for one file: opaque blobs, and the info (minus the ids the
 * upload answers with) that goes inside the encrypted message. `metadata` says whether the file's
 * metadata was removed (`removed`), could not be because the browser cannot read the file (`kept`: the
 * server still sees only ciphertext, but the peer gets the original), or the kind has none we handle.
 */
export interface EncryptedUpload {
  blob: Blob;
  info: Omit<EncryptedAttachmentInfo, 'id' | 'thumbnail'>;
  thumbnail: { blob: Blob; info: Omit<EncryptedThumbnailInfo, 'id'> } | null;
  metadata: 'removed' | 'kept' | 'none';
}

export interface EncryptedUploadOptions {
  codec?: ImageCodec;
  /** A video's first frame and duration (default: through a <video> element in the browser). */
  probeVideo?: typeof videoThumbnail;
}

/**
 * A recording that knows how long it is: MediaRecorder's WebM carries no duration in its header, so
 * the recorder's own clock travels with the file into the encrypted message.
 */
export class RecordedAudio extends File {
  constructor(parts: BlobPart[], name: string, options: FilePropertyBag, readonly durationSeconds: number) {
    super(parts, name, options);
  }
}

export async function prepareEncryptedUpload(file: File, cipher: AttachmentCipher, options: EncryptedUploadOptions = {}): Promise<EncryptedUpload> {
  // What the bytes are, not what the name says: a photo renamed or without an extension still loses its EXIF.
  const type = sniffMediaType(new Uint8Array(await file.slice(0, 16).arrayBuffer())) ?? (file.type || 'application/octet-stream');
  let bytes: ArrayBuffer;
  let mimetype = type;
  let metadata: EncryptedUpload['metadata'] = 'none';
  let thumbnail: Thumbnail | null = null;
  const dimensions: Pick<EncryptedAttachmentInfo, 'width' | 'height' | 'durationSeconds'> = {};

  if (type.startsWith('image/') && type !== 'image/svg+xml') {
    try {
      // Typed as sniffed, so the re-encoding picks the format the bytes are in.
      const typed = type === file.type ? file : new File([file], file.name, { type });
      const image = await prepareImage(typed, options.codec ?? browserImageCodec());
      bytes = await image.blob.arrayBuffer();
      mimetype = image.mimetype;
      thumbnail = image.thumbnail;
      dimensions.width = image.width;
      dimensions.height = image.height;
      metadata = 'removed';
    } catch {
      // The browser cannot decode it (e.g. HEIC outside Safari) or it is a damaged GIF: it goes as it is.
      bytes = await file.arrayBuffer();
      metadata = 'kept';
    }
  } else if (isMp4Like(type)) {
    try {
      bytes = stripMp4Metadata(new Uint8Array(await file.arrayBuffer())).bytes.buffer;
      metadata = 'removed';
    } catch (error) {
      if (!(error instanceof Mp4FormatError)) throw error;
      bytes = await file.arrayBuffer();
      metadata = 'kept';
    }
    const video = await (options.probeVideo ?? videoThumbnail)(new Blob([bytes], { type }));
    if (video) {
      thumbnail = video.thumbnail;
      dimensions.width = video.width;
      dimensions.height = video.height;
      dimensions.durationSeconds = video.durationSeconds;
    }
  } else {
    bytes = await file.arrayBuffer();
    if (file instanceof RecordedAudio) dimensions.durationSeconds = file.durationSeconds;
  }

  const size = bytes.byteLength;
  const encrypted = await cipher.encrypt(bytes);
  const info = { ...encrypted.info, mimetype, name: file.name || 'file', size, ...dimensions };
  let encryptedThumbnail: EncryptedUpload['thumbnail'] = null;
  if (thumbnail) {
    const thumb = await cipher.encrypt(await thumbnail.blob.arrayBuffer());
    encryptedThumbnail = {
      blob: opaque(thumb.ciphertext),
      info: { ...thumb.info, mimetype: thumbnail.mimetype, size: thumbnail.blob.size, width: thumbnail.width, height: thumbnail.height },
    };
  }
  return { blob: opaque(encrypted.ciphertext), info, thumbnail: encryptedThumbnail, metadata };
}

/** Uploaded without a type: the server treats it as an opaque encrypted blob. */
function opaque(ciphertext: Uint8Array<ArrayBuffer>): Blob {
  return new Blob([ciphertext], { type: 'application/octet-stream' });
}

const HEIF_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'hevm', 'hevs', 'mif1', 'msf1']);

/**
 * The media type a file's first bytes announce, for the formats that carry metadata worth removing:
 * JPEG, PNG, GIF, WebP, HEIF/AVIF and the ISO-BMFF videos (MP4, MOV, 3GP). Null for anything else.
 */
export function sniffMediaType(head: Uint8Array): string | null {
  const at = (offset: number, ...bytes: number[]) => bytes.every((byte, i) => head[offset + i] === byte);
  const text = (offset: number, length: number) => String.fromCharCode(...head.subarray(offset, offset + length));
  if (at(0, 0xff, 0xd8, 0xff)) return 'image/jpeg';
  if (at(0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'image/png';
  if (text(0, 4) === 'GIF8') return 'image/gif';
  if (text(0, 4) === 'RIFF' && text(8, 4) === 'WEBP') return 'image/webp';
  if (head.length >= 12 && text(4, 4) === 'ftyp') {
    const brand = text(8, 4);
    if (brand === 'avif' || brand === 'avis') return 'image/avif';
    if (HEIF_BRANDS.has(brand)) return 'image/heic';
    if (brand === 'qt  ') return 'video/quicktime';
    if (brand.startsWith('3g')) return 'video/3gpp';
    if (brand === 'M4A ') return 'audio/mp4';
    return 'video/mp4';
  }
  return null;
}
