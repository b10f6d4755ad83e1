import { open, type FileHandle } from 'node:fs/promises';
import { MediaError } from './media-error.js';

/** MP4 and its relatives (QuickTime, M4V, 3GP, M4A): ISO-BMFF box trees whose metadata can be blanked. */
const MP4_FAMILY = new Set(['video/mp4', 'video/quicktime', 'video/x-m4v', 'video/3gpp', 'video/3gpp2', 'audio/mp4', 'audio/x-m4a']);
/** Boxes whose children are walked. */
const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'edts']);
/** Boxes blanked wherever the walk meets them: user data (camera, `©xyz` GPS), 3GPP location. */
const METADATA = new Set(['udta', 'loci', '\u00a9xyz']);
/** `meta` is blanked under these parents (a top-level `meta` is HEIF structure, not MP4 metadata). */
const META_PARENTS = new Set(['moov', 'trak']);
/** Adobe XMP packet in a `uuid` box. */
const XMP_UUID = Buffer.from('be7acfcb97a942e89c71999491e3afac', 'hex');
const FREE = Buffer.from('free', 'latin1');
const MAX_DEPTH = 16;
/** A hostile file of millions of empty boxes would cost a read each. */
const MAX_BOXES = 100_000;
const ZEROS = Buffer.alloc(64 * 1024);

export function isMp4Family(mimeType: string): boolean {
  return MP4_FAMILY.has(mimeType);
}

/**
 * Removes the metadata of the MP4/MOV file at `path`, in place: `udta` (camera model, GPS in `©xyz`),
 * `meta` under `moov`/`trak` (QuickTime keys such as `com.apple.quicktime.location.ISO6709`), `loci`
 * and XMP `uuid` boxes each become a `free` box of the same size with a zeroed payload, so every chunk
 * offset (`stco`/`co64`) stays valid and the video plays as before. Reads box headers only, never the
 * media data. Returns the paths of the boxes blanked; a file that is not a well-formed box tree is
 * refused (INVALID_VIDEO) rather than kept with its metadata. The web client's encrypted uploads do the
 * same in the browser (frontend `mp4-metadata.ts`).
 */
export async function stripMp4Metadata(path: string): Promise<string[]> {
  const file = await open(path, 'r+');
  try {
    const { size } = await file.stat();
    const walker = new BoxWalker(file);
    await walker.walk(0, size, '', 0);
    if (!walker.sawMovie) throw invalid('it has no movie box (moov)');
    return walker.removed;
  } finally {
    await file.close();
  }
}

class BoxWalker {
  readonly removed: string[] = [];
  sawMovie = false;
  private boxes = 0;
  private readonly header = Buffer.alloc(16);

  constructor(private readonly file: FileHandle) {}

  async walk(start: number, end: number, parent: string, depth: number): Promise<void> {
    if (depth > MAX_DEPTH) throw invalid('its boxes are nested too deep');
    let offset = start;
    while (offset < end) {
      if (++this.boxes > MAX_BOXES) throw invalid('it has too many boxes');
      if (end - offset < 8) throw invalid(`a box header is cut off at byte ${offset}`);
      await this.file.read(this.header, 0, Math.min(16, end - offset), offset);
      let size = this.header.readUInt32BE(0);
      const type = this.header.toString('latin1', 4, 8);
      let headerSize = 8;
      if (size === 1) {
        if (end - offset < 16) throw invalid(`a 64-bit box header is cut off at byte ${offset}`);
        const large = this.header.readBigUInt64BE(8);
        if (large > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid(`a box at byte ${offset} is too large`);
        size = Number(large);
        headerSize = 16;
      } else if (size === 0) {
        // "To the end of the file": only the last box may say so.
        size = end - offset;
      }
      if (size < headerSize) throw invalid(`a box at byte ${offset} has an invalid size`);
      if (offset + size > end) throw invalid(`a box at byte ${offset} runs past the end (truncated file?)`);
      if (depth === 0 && offset === 0 && !/^[\x20-\x7e]{4}$/.test(type)) throw invalid('the first box has no readable type');

      const path = parent ? `${parent}/${type}` : type;
      if (type === 'moov') this.sawMovie = true;
      const parentType = parent.split('/').pop() ?? '';
      if (METADATA.has(type) || (type === 'meta' && META_PARENTS.has(parentType)) || (await this.isXmp(type, offset + headerSize, offset + size))) {
        await this.blank(offset, headerSize, size);
        this.removed.push(path);
      } else if (CONTAINERS.has(type)) {
        await this.walk(offset + headerSize, offset + size, path, depth + 1);
      }
      offset += size;
    }
  }

  private async isXmp(type: string, payloadStart: number, end: number): Promise<boolean> {
    if (type !== 'uuid' || end - payloadStart < 16) return false;
    const id = Buffer.alloc(16);
    await this.file.read(id, 0, 16, payloadStart);
    return id.equals(XMP_UUID);
  }

  /** Same size, type `free`, payload zeroed; a 64-bit header keeps its `largesize`. */
  private async blank(offset: number, headerSize: number, size: number): Promise<void> {
    await this.file.write(FREE, 0, 4, offset + 4);
    for (let at = offset + headerSize; at < offset + size; at += ZEROS.length) {
      await this.file.write(ZEROS, 0, Math.min(ZEROS.length, offset + size - at), at);
    }
  }
}

function invalid(why: string): MediaError {
  return new MediaError('INVALID_VIDEO', `The video could not be cleaned of its metadata (location included): ${why}`);
}
