import { fileTypeFromFile } from 'file-type';
import { parseFile } from 'music-metadata';
import { extname } from 'node:path';
import sharp, { type Metadata, type Sharp, type SharpOptions } from 'sharp';
import type { AttachmentKind } from './attachment.entity.js';

// One image at a time per process, and no decoded-image cache: uploads must not balloon memory.
sharp.concurrency(1);
sharp.cache(false);

/** 8K UHD (7680×4320) fits; a "pixel flood" image that decodes to gigabytes does not. */
export const MAX_IMAGE_PIXELS = 33_554_432;
/** Animated images may have several frames, within a budget of this many pixels in all. */
const MAX_ANIMATION_PIXELS = 4 * MAX_IMAGE_PIXELS;
export const THUMBNAIL_SIZE = 320;
export const MAX_NAME_LENGTH = 200;

/** Images Iris re-encodes (dropping EXIF) and thumbnails; other images are kept as plain files. */
const PROCESSED_IMAGES = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif']);
const ANIMATED_IMAGES = new Set(['image/gif', 'image/webp']);
const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.jfif', '.png', '.apng', '.gif', '.webp', '.avif', '.heic', '.heif', '.bmp', '.tif', '.tiff', '.svg', '.ico']);

/**
 * Types a browser shows without running anything: these may be served `inline`; every other type is
 * sent as a download (`Content-Disposition: attachment`).
 */
const INLINE_TYPES = new Set([
  ...PROCESSED_IMAGES,
  'video/mp4',
  'video/webm',
  'video/ogg',
  'video/quicktime',
  'audio/mpeg',
  'audio/mp4',
  'audio/aac',
  'audio/ogg',
  'audio/opus',
  'audio/wav',
  'audio/webm',
  'audio/x-flac',
  'audio/flac',
  'application/pdf',
]);

export const UNKNOWN_TYPE = 'application/octet-stream';

export class MediaError extends Error {
  constructor(
    readonly reason: 'NOT_AN_IMAGE' | 'INVALID_IMAGE' | 'IMAGE_TOO_LARGE',
    message: string,
  ) {
    super(message);
  }
}

export interface DetectedType {
  mimeType: string;
  kind: AttachmentKind;
}

/** The type from the file's own bytes; what the client claimed is only used to refuse a fake image. */
export async function detectType(path: string, claimed: { mimeType: string; name: string }): Promise<DetectedType> {
  const detected = await fileTypeFromFile(path);
  const mimeType = detected?.mime ?? UNKNOWN_TYPE;
  const claimsImage = claimed.mimeType.toLowerCase().startsWith('image/') || IMAGE_EXTENSIONS.has(extname(claimed.name).toLowerCase());
  if (claimsImage && !mimeType.startsWith('image/')) {
    throw new MediaError('NOT_AN_IMAGE', 'The file claims to be an image but its contents are not one');
  }
  return { mimeType, kind: kindOf(mimeType) };
}

export function kindOf(mimeType: string): AttachmentKind {
  if (PROCESSED_IMAGES.has(mimeType)) return 'image';
  if (mimeType.startsWith('video/')) return 'video';
  if (mimeType.startsWith('audio/')) return 'audio';
  return 'file';
}

export function isInlineType(mimeType: string): boolean {
  return INLINE_TYPES.has(mimeType);
}

export interface ProcessedImage {
  width: number;
  height: number;
}

/**
 * Re-encodes the image from `input` into `output` without any metadata (EXIF, GPS, XMP, IPTC; the
 * colour profile is kept), turned upright first since the orientation tag goes too, and writes a
 * WebP thumbnail. Refuses images above the pixel cap before decoding them.
 */
export async function processImage(input: string, mimeType: string, output: string, thumbnail: string): Promise<ProcessedImage> {
  const animated = ANIMATED_IMAGES.has(mimeType);
  let metadata: Metadata;
  try {
    // Reads the header only; the pixel cap is checked below, before anything is decoded.
    metadata = await sharp(input, { animated, limitInputPixels: false }).metadata();
  } catch {
    throw new MediaError('INVALID_IMAGE', 'The image could not be read');
  }
  const frameHeight = metadata.pageHeight ?? metadata.height;
  const frames = animated ? (metadata.pages ?? 1) : 1;
  const framePixels = metadata.width * frameHeight;
  if (!framePixels || framePixels > MAX_IMAGE_PIXELS || framePixels * frames > MAX_ANIMATION_PIXELS) {
    throw new MediaError('IMAGE_TOO_LARGE', `Images may have at most ${MAX_IMAGE_PIXELS.toLocaleString('en')} pixels`);
  }
  const options: SharpOptions = { animated, limitInputPixels: animated ? MAX_ANIMATION_PIXELS : MAX_IMAGE_PIXELS, failOn: 'error' };
  try {
    const upright = sharp(input, options).autoOrient().keepIccProfile();
    const info = await encodeAs(upright, mimeType).toFile(output);
    await sharp(output, { limitInputPixels: options.limitInputPixels })
      .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 70 })
      .toFile(thumbnail);
    return { width: info.width, height: animated ? frameHeight : info.height };
  } catch {
    throw new MediaError('INVALID_IMAGE', 'The image could not be decoded');
  }
}

function encodeAs(image: Sharp, mimeType: string): Sharp {
  switch (mimeType) {
    case 'image/jpeg':
      return image.jpeg({ quality: 90 });
    case 'image/png':
      return image.png();
    case 'image/webp':
      return image.webp({ quality: 90 });
    case 'image/gif':
      return image.gif();
    default:
      return image.avif({ quality: 70 });
  }
}

/** Playing time of audio and video, when the container says; null otherwise. Never throws. */
export async function probeDuration(path: string): Promise<number | null> {
  try {
    const { format } = await parseFile(path, { duration: true, skipCovers: true });
    return format.duration !== undefined && Number.isFinite(format.duration) ? Math.round(format.duration * 1000) / 1000 : null;
  } catch {
    return null;
  }
}

/**
 * The client's file name as harmless metadata: the last path segment only, no control or
 * bidirectional-override characters, no leading dots, at most MAX_NAME_LENGTH characters with the
 * extension kept. Empty results become "file".
 */
export function sanitiseFileName(raw: string | undefined): string {
  const lastSegment = (raw ?? '').split(/[/\\]/).pop() ?? '';
  const cleaned = lastSegment
    .normalize('NFC')
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, '')
    .replace(/\s+/g, ' ')
    .replace(/^[\s.]+|[\s.]+$/g, '');
  if (!cleaned) return 'file';
  const characters = [...cleaned];
  if (characters.length <= MAX_NAME_LENGTH) return cleaned;
  const extension = [...extname(cleaned)];
  const keep = extension.length > 0 && extension.length <= 16 ? extension : [];
  return characters.slice(0, MAX_NAME_LENGTH - keep.length).join('') + keep.join('');
}
