/**
 * Removes the metadata of an MP4/MOV (ISO-BMFF) file before it is encrypted and uploaded: user data
 * (`udta`: camera model, GPS in `©xyz`), `meta` boxes under `moov`/`trak` (QuickTime keys such as
 * `com.apple.quicktime.location.ISO6709`), 3GPP `loci` and Adobe XMP `uuid` boxes. Each becomes a
 * `free` box of the same size with a zeroed payload, so every byte offset in the file (the chunk
 * offsets of `stco`/`co64`) stays valid and the video plays as before.
 */
export class Mp4FormatError extends Error {
  constructor(message: string) {
    super(`Not a readable MP4/MOV file: ${message}`);
    this.name = 'Mp4FormatError';
  }
}

export interface Mp4StripResult {
  bytes: Uint8Array<ArrayBuffer>;
  /** The paths of the boxes that were blanked, e.g. `moov/udta`. */
  removed: string[];
}

/** Boxes whose children are walked. */
const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'edts']);
/** Boxes blanked wherever the walk meets them. */
const METADATA = new Set(['udta', 'loci', '\u00a9xyz']);
/** `meta` is blanked under these parents (a top-level `meta` is not MP4 metadata but HEIF structure). */
const META_PARENTS = new Set(['moov', 'trak']);
/** Adobe XMP packet in a `uuid` box (BE7ACFCB-97A9-42E8-9C71-999491E3AFAC). */
const XMP_UUID = [0xbe, 0x7a, 0xcf, 0xcb, 0x97, 0xa9, 0x42, 0xe8, 0x9c, 0x71, 0x99, 0x94, 0x91, 0xe3, 0xaf, 0xac];
const FREE = [0x66, 0x72, 0x65, 0x65];
const MAX_DEPTH = 16;

/** Works on a copy; throws `Mp4FormatError` for anything that is not a well-formed box tree. */
export function stripMp4Metadata(input: Uint8Array): Mp4StripResult {
  const bytes = new Uint8Array(input);
  const view = new DataView(bytes.buffer);
  const removed: string[] = [];
  if (bytes.length < 8) throw new Mp4FormatError('too short');
  let sawMovie = false;

  const walk = (start: number, end: number, parent: string, depth: number): void => {
    if (depth > MAX_DEPTH) throw new Mp4FormatError('boxes nested too deep');
    let offset = start;
    while (offset < end) {
      if (end - offset < 8) throw new Mp4FormatError(`a box header is cut off at byte ${offset}`);
      let size = view.getUint32(offset);
      const type = boxType(bytes, offset + 4);
      let header = 8;
      if (size === 1) {
        if (end - offset < 16) throw new Mp4FormatError(`a 64-bit box header is cut off at byte ${offset}`);
        const large = view.getBigUint64(offset + 8);
        if (large > BigInt(Number.MAX_SAFE_INTEGER)) throw new Mp4FormatError(`box "${printable(type)}" at byte ${offset} is too large`);
        size = Number(large);
        header = 16;
      } else if (size === 0) {
        // "To the end of the file": only the last box may say so.
        size = end - offset;
      }
      if (size < header) throw new Mp4FormatError(`box "${printable(type)}" at byte ${offset} has an invalid size ${size}`);
      if (offset + size > end) throw new Mp4FormatError(`box "${printable(type)}" at byte ${offset} runs past the end (truncated file?)`);
      if (depth === 0 && offset === 0 && !/^[\x20-\x7e]{4}$/.test(type)) throw new Mp4FormatError('the first box has no readable type');

      const path = parent ? `${parent}/${printable(type)}` : printable(type);
      if (type === 'moov') sawMovie = true;
      if (METADATA.has(type) || (type === 'meta' && META_PARENTS.has(parent.split('/').pop() ?? '')) || isXmp(bytes, type, offset, header, size)) {
        blank(bytes, offset, header, size);
        removed.push(path);
      } else if (CONTAINERS.has(type)) {
        walk(offset + header, offset + size, path, depth + 1);
      }
      offset += size;
    }
  };

  walk(0, bytes.length, '', 0);
  if (!sawMovie) throw new Mp4FormatError('no movie box (moov)');
  return { bytes, removed };
}

export function isMp4Like(mimeType: string): boolean {
  return /^(?:video\/(?:mp4|quicktime|x-m4v|3gpp)|audio\/(?:mp4|x-m4a))$/i.test(mimeType);
}

function boxType(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]);
}

function printable(type: string): string {
  return type.replace(/[^\x20-\x7e\u00a9]/g, '?');
}

function isXmp(bytes: Uint8Array, type: string, offset: number, header: number, size: number): boolean {
  if (type !== 'uuid' || size < header + 16) return false;
  return XMP_UUID.every((byte, i) => bytes[offset + header + i] === byte);
}

/** Same size, type `free`, payload zeroed; a 64-bit header keeps its `largesize`. */
function blank(bytes: Uint8Array, offset: number, header: number, size: number): void {
  bytes.set(FREE, offset + 4);
  bytes.fill(0, offset + header, offset + size);
}
