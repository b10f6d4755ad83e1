import { extname } from 'node:path';
import type sharpModule from 'sharp';
import type { Metadata, Sharp, SharpOptions } from 'sharp';
import type { AttachmentKind } from './attachment.entity.js';
import { ImageQueue } from './image-queue.js';
import { MediaError } from './media-error.js';

let sharpLoading: Promise<typeof sharpModule> | null = null;

/**
 * sharp (libvips) adds much memory to the process once loaded, so it is loaded with the first image
 * rather than at start-up. One thread per image and no decoded-image cache; the image queue runs one
 * image at a time.
 */
function loadSharp(): Promise<typeof sharpModule> {
  sharpLoading ??= import('sharp').then(({ default: sharp }) => {
    sharp.concurrency(1);
    sharp.cache(false);
    return sharp;
  });
  return sharpLoading;
}

/** 8K UHD (7680×4320) fits; a "pixel flood" image that decodes to gigabytes does not. */
export const MAX_IMAGE_PIXELS = 33_554_432;
/**
 * Animated images cost their frames' pixels in every step (decode, re-encode, quantise): all frames
 * together within this budget (a 500×500 animation of 60 frames fits), and at most MAX_FRAMES frames.
 */
export const MAX_ANIMATED_PIXELS = 16_777_216;
export const MAX_FRAMES = 400;
export const THUMBNAIL_SIZE = 320;
export const MAX_NAME_LENGTH = 200;

/** Images Iris re-encodes (dropping every metadata block) and thumbnails, keeping their format. */
const PROCESSED_IMAGES = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif']);
/** Images Iris can decode but browsers cannot show: re-encoded as PNG. */
const CONVERTED_TO_PNG = new Set(['image/tiff']);
/** Image formats that carry no metadata to strip; stored as plain files. */
const METADATA_FREE_IMAGES = new Set(['image/bmp', 'image/x-icon', 'image/vnd.microsoft.icon']);
const ANIMATED_IMAGES = new Set(['image/gif', 'image/webp']);
/** Names a photo has; SVG is not among them (it is a document, stored and served as a plain file). */
const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.jfif', '.png', '.apng', '.gif', '.webp', '.avif', '.heic', '.heif', '.bmp', '.tif', '.tiff', '.ico']);

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

export interface DetectedType {
  mimeType: string;
  kind: AttachmentKind;
}

/**
 * The type from the file's own bytes; what the client claimed is only used to refuse a fake image.
 * Images whose metadata Iris cannot strip (HEIC, APNG, PSD, …) are refused rather than passed on with
 * their location data.
 */
export async function detectType(path: string, claimed: { mimeType: string; name: string }): Promise<DetectedType> {
  // Loaded with the first upload, like sharp: a server that never receives one never pays for them.
  const { fileTypeFromFile } = await import('file-type');
  const detected = await fileTypeFromFile(path);
  const mimeType = detected?.mime ?? UNKNOWN_TYPE;
  const claimedType = claimed.mimeType.toLowerCase();
  const claimsImage =
    (claimedType.startsWith('image/') && claimedType !== 'image/svg+xml') || IMAGE_EXTENSIONS.has(extname(claimed.name).toLowerCase());
  if (claimsImage && !mimeType.startsWith('image/')) {
    throw new MediaError('NOT_AN_IMAGE', 'The file claims to be an image but its contents are not one');
  }
  if (mimeType.startsWith('image/') && !PROCESSED_IMAGES.has(mimeType) && !CONVERTED_TO_PNG.has(mimeType) && !METADATA_FREE_IMAGES.has(mimeType)) {
    throw new MediaError(
      'UNSUPPORTED_IMAGE',
      `${mimeType} images cannot be cleaned of their metadata (location included); send JPEG, PNG, WebP, GIF, AVIF or TIFF`,
    );
  }
  // WebM has no audio-only signature, so a browser's recorded voice message reads as video; the claim decides.
  if (mimeType === 'video/webm' && claimedType.split(';')[0].trim() === 'audio/webm') return { mimeType: 'audio/webm', kind: 'audio' };
  return { mimeType, kind: kindOf(mimeType) };
}

export function kindOf(mimeType: string): AttachmentKind {
  if (PROCESSED_IMAGES.has(mimeType) || CONVERTED_TO_PNG.has(mimeType)) return 'image';
  if (mimeType.startsWith('video/')) return 'video';
  if (mimeType.startsWith('audio/')) return 'audio';
  return 'file';
}

export function isInlineType(mimeType: string): boolean {
  return INLINE_TYPES.has(mimeType);
}

export interface ProcessedImage {
  /** What was stored: the same type, or PNG for a converted TIFF. */
  mimeType: string;
  width: number;
  height: number;
}

const imageQueue = new ImageQueue();

/**
 * Re-encodes the image from `input` into `output` without any metadata (EXIF, GPS, XMP, IPTC; the
 * colour profile is kept), turned upright first since the orientation tag goes too, and writes a
 * WebP thumbnail. Refuses images above the pixel or frame caps before decoding them.
 */
export function processImage(userId: string, input: string, mimeType: string, output: string, thumbnail: string): Promise<ProcessedImage> {
  return imageQueue.run(userId, async () => {
    const sharp = await loadSharp();
    const animated = ANIMATED_IMAGES.has(mimeType);
    let metadata: Metadata;
    try {
      // Reads the headers only; the caps are checked below, before anything is decoded.
      metadata = await sharp(input, { animated, limitInputPixels: false }).metadata();
    } catch {
      throw new MediaError('INVALID_IMAGE', 'The image could not be read');
    }
    const frameHeight = metadata.pageHeight ?? metadata.height;
    const frames = animated ? (metadata.pages ?? 1) : 1;
    const framePixels = metadata.width * frameHeight;
    const budget = frames > 1 ? MAX_ANIMATED_PIXELS : MAX_IMAGE_PIXELS;
    if (!framePixels || frames > MAX_FRAMES || framePixels * frames > budget) {
      throw new MediaError(
        'IMAGE_TOO_LARGE',
        `Images may have at most ${MAX_IMAGE_PIXELS.toLocaleString('en')} pixels; animations at most ${MAX_FRAMES} frames and ${MAX_ANIMATED_PIXELS.toLocaleString('en')} pixels in all`,
      );
    }
    const outputType = CONVERTED_TO_PNG.has(mimeType) ? 'image/png' : mimeType;
    const options: SharpOptions = { animated, limitInputPixels: MAX_IMAGE_PIXELS, failOn: 'error' };
    try {
      const upright = animated ? sharp(input, options) : sharp(input, options).autoOrient();
      const info = await encodeAs(upright.keepIccProfile(), outputType).toFile(output);
      await sharp(output, { limitInputPixels: MAX_IMAGE_PIXELS })
        .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside', withoutEnlargement: true })
        .webp({ quality: 70 })
        .toFile(thumbnail);
      return { mimeType: outputType, width: info.width, height: animated ? frameHeight : info.height };
    } catch {
      throw new MediaError('INVALID_IMAGE', 'The image could not be decoded');
    }
  });
}

/** The stored sizes of a profile picture: what headers and lists show, and the small one for lists. */
export const AVATAR_SIZE = 256;
export const AVATAR_SMALL_SIZE = 64;

/**
 * A profile picture from any still image Iris reads (the first frame of an animation): upright,
 * centre-cropped to a square (the client crops already; this keeps a square whatever it sent), as WebP
 * at AVATAR_SIZE and AVATAR_SMALL_SIZE, without any metadata. The same queue and pixel cap as attachments.
 */
export function processAvatar(userId: string, input: string, large: string, small: string): Promise<void> {
  return imageQueue.run(userId, async () => {
    const sharp = await loadSharp();
    let metadata: Metadata;
    try {
      metadata = await sharp(input, { limitInputPixels: false }).metadata();
    } catch {
      throw new MediaError('INVALID_IMAGE', 'The image could not be read');
    }
    const pixels = metadata.width * (metadata.pageHeight ?? metadata.height);
    if (!pixels || pixels > MAX_IMAGE_PIXELS) {
      throw new MediaError('IMAGE_TOO_LARGE', `Images may have at most ${MAX_IMAGE_PIXELS.toLocaleString('en')} pixels`);
    }
    try {
      const square = (size: number) => ({ width: size, height: size, fit: 'cover' as const, position: 'centre' });
      // sharp writes no metadata unless asked to (withMetadata/keepExif): EXIF and GPS are gone here.
      await sharp(input, { limitInputPixels: MAX_IMAGE_PIXELS, failOn: 'error' }).autoOrient().resize(square(AVATAR_SIZE)).webp({ quality: 85 }).toFile(large);
      await sharp(large).resize(square(AVATAR_SMALL_SIZE)).webp({ quality: 80 }).toFile(small);
    } catch {
      throw new MediaError('INVALID_IMAGE', 'The image could not be decoded');
    }
  });
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
      // The fastest encoder effort: AVIF encoding is by far the most expensive step otherwise.
      return image.avif({ quality: 60, effort: 0 });
  }
}

/** Playing time of audio and video, when the container says; null otherwise. Never throws. */
export async function probeDuration(path: string): Promise<number | null> {
  try {
    const { parseFile } = await import('music-metadata');
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
    // Control, format (bidi overrides), separator characters, and lone surrogates (not valid UTF-8).
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu, '')
    .replace(/\s+/g, ' ')
    .replace(/^[\s.]+|[\s.]+$/g, '');
  if (!cleaned) return 'file';
  const characters = [...cleaned];
  if (characters.length <= MAX_NAME_LENGTH) return cleaned;
  const extension = [...extname(cleaned)];
  const keep = extension.length > 0 && extension.length <= 16 ? extension : [];
  return characters.slice(0, MAX_NAME_LENGTH - keep.length).join('') + keep.join('');
}
