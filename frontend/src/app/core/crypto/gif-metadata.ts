/**
 * GIFs are not re-encoded through a canvas: that would keep only the first frame of an animation.
 * Instead their metadata blocks are dropped: comment extensions and every application extension but the
 * looping one (NETSCAPE2.0 / ANIMEXTS1.0), which is where XMP (camera, GPS, editing history) lives.
 * Frames, palettes and timing pass through byte for byte. GIF has no offsets, so blocks can simply go.
 */
export class GifFormatError extends Error {
  constructor(message: string) {
    super(`Not a readable GIF: ${message}`);
    this.name = 'GifFormatError';
  }
}

const LOOP_APPLICATIONS = new Set(['NETSCAPE2.0', 'ANIMEXTS1.0']);

export function stripGifMetadata(input: Uint8Array): Uint8Array<ArrayBuffer> {
  const header = String.fromCharCode(...input.subarray(0, 6));
  if (header !== 'GIF87a' && header !== 'GIF89a') throw new GifFormatError('no GIF header');
  if (input.length < 13) throw new GifFormatError('too short');
  const kept: Uint8Array[] = [];
  let at = 13;
  const screenFlags = input[10];
  if (screenFlags & 0x80) at += 3 * (1 << ((screenFlags & 0x07) + 1));
  need(input, at, 'the global palette is cut off');
  kept.push(input.subarray(0, at));

  for (;;) {
    need(input, at + 1, 'the file ends without its trailer');
    const introducer = input[at];
    if (introducer === 0x3b) {
      kept.push(input.subarray(at, at + 1));
      break;
    }
    const start = at;
    if (introducer === 0x21) {
      need(input, at + 2, 'an extension is cut off');
      const label = input[at + 1];
      at = skipSubBlocks(input, at + 2);
      if (label === 0xfe) continue;
      if (label === 0xff && !LOOP_APPLICATIONS.has(applicationId(input, start + 2))) continue;
    } else if (introducer === 0x2c) {
      need(input, at + 10, 'an image descriptor is cut off');
      const flags = input[at + 9];
      at += 10;
      if (flags & 0x80) at += 3 * (1 << ((flags & 0x07) + 1));
      // LZW minimum code size, then the image data sub-blocks.
      need(input, at + 1, 'an image is cut off');
      at = skipSubBlocks(input, at + 1);
    } else {
      throw new GifFormatError(`unknown block 0x${introducer.toString(16)} at byte ${at}`);
    }
    kept.push(input.subarray(start, at));
  }

  const out = new Uint8Array(kept.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of kept) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Index after the terminator of the sub-blocks starting at `at`. */
function skipSubBlocks(bytes: Uint8Array, at: number): number {
  for (;;) {
    need(bytes, at + 1, 'a data block is cut off');
    const size = bytes[at];
    at += 1 + size;
    if (size === 0) return at;
    need(bytes, at, 'a data block is cut off');
  }
}

/** The 11-byte identifier of an application extension (its first sub-block). */
function applicationId(bytes: Uint8Array, at: number): string {
  if (bytes[at] !== 11) return '';
  return String.fromCharCode(...bytes.subarray(at + 1, at + 12));
}

function need(bytes: Uint8Array, end: number, message: string): void {
  if (end > bytes.length) throw new GifFormatError(message);
}
