import { fileTypeFromFile } from 'file-type';
import { parseFile } from 'music-metadata';
import { extname } from 'node:path';
import type sharpModule from 'sharp';
import type { Metadata, Sharp, SharpOptions } from 'sharp';
import type { AttachmentKind } from './attachment.entity.js';

let sharpLoading: Promise<typeof sharpModule> | null = null;

/**
 * sharp (libvips) adds much memory to the process once loaded, so it is loaded with the first image
 * rather than at start-up. One thread per image and no decoded-image cache; `withImageSlot` below runs
 * one image at a time.
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
/** Animated images: all frames together within the same pixel budget, and at most this many frames. */
export const MAX_FRAMES = 1000;
/** Images waiting for the one processing slot; beyond that, uploads are told to come back (503). */
const MAX_WAITING_IMAGES = 8;
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

export class MediaError extends Error {
  constructor(
    readonly reason: 'NOT_AN_IMAGE' | 'INVALID_IMAGE' | 'IMAGE_TOO_LARGE' | 'UNSUPPORTED_IMAGE' | 'BUSY',
    message: string,
  ) {
    super(message);
  }
}

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

let busy = false;
const waiting: (() => void)[] = [];

/**
 * Runs image work one at a time in this process: decoding is where an upload can cost hundreds of
 * megabytes, so several at once could exhaust memory. Refuses with BUSY when too many are waiting.
 */
export async function withImageSlot<T>(work: () => Promise<T>): Promise<T> {
  if (busy) {
    if (waiting.length >= MAX_WAITING_IMAGES) throw new MediaError('BUSY', 'Too many images are being processed; try again in a moment');
    await new Promise<void>((resolve) => waiting.push(resolve));
  }
  busy = true;
  try {
    return await work();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else busy = false;
  }
}

/**
 * Re-encodes the image from `input` into `output` without any metadata (EXIF, GPS, XMP, IPTC; the
 * colour profile is kept), turned upright first since the orientation tag goes too, and writes a
 * WebP thumbnail. Refuses images above the pixel or frame caps before decoding them.
 */
export function processImage(input: string, mimeType: string, output: string, thumbnail: string): Promise<ProcessedImage> {
  return withImageSlot(async () => {
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
    if (!framePixels || frames > MAX_FRAMES || framePixels * frames > MAX_IMAGE_PIXELS) {
      throw new MediaError(
        'IMAGE_TOO_LARGE',
        `Images may have at most ${MAX_IMAGE_PIXELS.toLocaleString('en')} pixels (all frames together) and ${MAX_FRAMES} frames`,
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
