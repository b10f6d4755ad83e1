import { stripGifMetadata } from './gif-metadata';

/**
 * Images are re-encoded through a canvas before they are encrypted: pixels go through, EXIF (GPS,
 * camera, time), XMP and ICC comments do not. Orientation is applied to the pixels first, so the
 * picture stays upright without its EXIF tag. JPEG, PNG and WebP keep their format (where the browser
 * cannot encode one, e.g. WebP in Safari, the canvas answers PNG and the real type travels with it);
 * HEIC/AVIF photos become JPEG, any other still image PNG. GIFs are not re-encoded (a canvas keeps only
 * the first frame): their metadata blocks are removed by `stripGifMetadata` instead.
 */
export interface ImageCodec {
  /** Decodes the first frame, EXIF orientation applied. */
  decode(blob: Blob): Promise<DecodedImage>;
}

export interface DecodedImage {
  readonly width: number;
  readonly height: number;
  /** Draws the image at the given size (on white when `opaque`) and encodes it. */
  encode(width: number, height: number, type: string, quality: number, opaque: boolean): Promise<Blob>;
  close(): void;
}

export interface PreparedImage {
  blob: Blob;
  mimetype: string;
  width: number;
  height: number;
  thumbnail: Thumbnail | null;
}

export interface Thumbnail {
  blob: Blob;
  mimetype: 'image/jpeg';
  width: number;
  height: number;
}

export const THUMBNAIL_MAX_SIDE = 320;
const PHOTO_QUALITY = 0.92;
const THUMBNAIL_QUALITY = 0.8;
const SAME_FORMAT = new Set(['image/jpeg', 'image/png', 'image/webp']);
const PHOTO_FORMATS = new Set(['image/heic', 'image/heif', 'image/avif']);

/** Metadata-free image, its real size and a ≤ 320 px JPEG thumbnail. */
export async function prepareImage(file: Blob, codec: ImageCodec = browserImageCodec()): Promise<PreparedImage> {
  const image = await codec.decode(file);
  try {
    const { width, height } = image;
    const thumbnail = await makeThumbnail(image);
    if (file.type === 'image/gif') {
      const stripped = stripGifMetadata(new Uint8Array(await file.arrayBuffer()));
      return { blob: new Blob([stripped], { type: 'image/gif' }), mimetype: 'image/gif', width, height, thumbnail };
    }
    const target = SAME_FORMAT.has(file.type) ? file.type : PHOTO_FORMATS.has(file.type) ? 'image/jpeg' : 'image/png';
    const blob = await image.encode(width, height, target, PHOTO_QUALITY, target === 'image/jpeg');
    return { blob, mimetype: blob.type || target, width, height, thumbnail };
  } finally {
    image.close();
  }
}

/** The same, for a frame already decoded (e.g. a video's first frame). */
export async function makeThumbnail(image: DecodedImage): Promise<Thumbnail | null> {
  if (image.width === 0 || image.height === 0) return null;
  const scale = Math.min(1, THUMBNAIL_MAX_SIDE / Math.max(image.width, image.height));
  const width = Math.max(1, Math.round(image.width * scale));
  const height = Math.max(1, Math.round(image.height * scale));
  const blob = await image.encode(width, height, 'image/jpeg', THUMBNAIL_QUALITY, true);
  return { blob, mimetype: 'image/jpeg', width, height };
}

/** createImageBitmap + OffscreenCanvas (or a canvas element); only in a browser. */
export function browserImageCodec(): ImageCodec {
  return {
    async decode(blob) {
      if (typeof createImageBitmap === 'undefined') throw new Error('Images cannot be prepared here');
      return fromSource(await createImageBitmap(blob, { imageOrientation: 'from-image' }));
    },
  };
}

/**
 * A video's first frame as a thumbnail, through a muted, never-shown <video>. Null when the browser
 * cannot play the file or takes longer than `timeoutMs`.
 */
export async function videoThumbnail(file: Blob, timeoutMs = 5000): Promise<{ thumbnail: Thumbnail; width: number; height: number; durationSeconds: number } | null> {
  if (typeof document === 'undefined') return null;
  const url = URL.createObjectURL(file);
  const video = document.createElement('video');
  video.muted = true;
  video.preload = 'auto';
  video.src = url;
  try {
    const loaded = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      video.addEventListener('loadeddata', () => (video.currentTime = Math.min(0.1, video.duration / 2 || 0)), { once: true });
      video.addEventListener('seeked', () => (clearTimeout(timer), resolve(true)), { once: true });
      video.addEventListener('error', () => (clearTimeout(timer), resolve(false)), { once: true });
    });
    if (!(await loaded) || video.videoWidth === 0) return null;
    const frame = fromSource(video, video.videoWidth, video.videoHeight);
    const thumbnail = await makeThumbnail(frame);
    if (!thumbnail) return null;
    return { thumbnail, width: video.videoWidth, height: video.videoHeight, durationSeconds: Number.isFinite(video.duration) ? video.duration : 0 };
  } finally {
    video.removeAttribute('src');
    video.load();
    URL.revokeObjectURL(url);
  }
}

function fromSource(source: ImageBitmap | HTMLVideoElement, width = (source as ImageBitmap).width, height = (source as ImageBitmap).height): DecodedImage {
  return {
    width,
    height,
    async encode(targetWidth, targetHeight, type, quality, opaque) {
      if (typeof OffscreenCanvas !== 'undefined') {
        const canvas = new OffscreenCanvas(targetWidth, targetHeight);
        draw(canvas.getContext('2d'), source, targetWidth, targetHeight, opaque);
        return canvas.convertToBlob({ type, quality });
      }
      const canvas = document.createElement('canvas');
      canvas.width = targetWidth;
      canvas.height = targetHeight;
      draw(canvas.getContext('2d'), source, targetWidth, targetHeight, opaque);
      return new Promise((resolve, reject) => canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('The image could not be encoded'))), type, quality));
    },
    close() {
      if ('close' in source) source.close();
    },
  };
}

function draw(
  context: OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D | null,
  source: CanvasImageSource,
  width: number,
  height: number,
  opaque: boolean,
): void {
  if (!context) throw new Error('No 2D canvas in this browser');
  if (opaque) {
    context.fillStyle = '#fff';
    context.fillRect(0, 0, width, height);
  }
  context.imageSmoothingQuality = 'high';
  context.drawImage(source, 0, 0, width, height);
}
