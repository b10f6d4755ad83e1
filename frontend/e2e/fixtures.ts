// Media files for the specs: ones carrying a location (to prove it never reaches the other user or the
// server) with the readers that say whether a file still carries one, and a fake microphone's tone.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';

/** Where the fixtures put their location: the Eiffel Tower. */
export const FIXTURE_LOCATION = { latitude: 48.858370, longitude: 2.294481 } as const;

/** Degrees as the three EXIF rationals (degrees, minutes, hundredths of seconds). */
function exifDegrees(value: number): string {
  const degrees = Math.floor(value);
  const minutes = Math.floor((value - degrees) * 60);
  const seconds = Math.round(((value - degrees) * 60 - minutes) * 60 * 100);
  return `${degrees}/1 ${minutes}/1 ${seconds}/100`;
}

/**
 * A real 640×480 JPEG (a drawing, so it compresses like a photo would not, but decodes like one) with
 * EXIF GPS latitude and longitude, written to a temporary file for `setInputFiles` (in a directory of
 * its own, which the caller removes).
 */
export async function jpegWithGps(name = 'holiday.jpg'): Promise<{ path: string; name: string; buffer: Buffer }> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="480">
    <defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#1e3a8a"/><stop offset="1" stop-color="#f59e0b"/></linearGradient></defs>
    <rect width="640" height="480" fill="url(#sky)"/>
    <polygon points="320,60 250,420 390,420" fill="#3f3f46"/>
    <rect x="0" y="420" width="640" height="60" fill="#166534"/>
  </svg>`;
  const buffer = await sharp(Buffer.from(svg))
    .jpeg({ quality: 85 })
    .withExif({
      IFD0: { Make: 'Iris', Model: 'e2e fixture' },
      IFD3: {
        GPSLatitudeRef: 'N',
        GPSLatitude: exifDegrees(FIXTURE_LOCATION.latitude),
        GPSLongitudeRef: 'E',
        GPSLongitude: exifDegrees(FIXTURE_LOCATION.longitude),
      },
    })
    .toBuffer();
  if (!hasGps(buffer)) throw new Error('jpegWithGps: sharp wrote no GPS IFD');
  const path = join(mkdtempSync(join(tmpdir(), 'iris-e2e-fixture-')), name);
  writeFileSync(path, buffer);
  return { path, name, buffer };
}

/** The TIFF structures (EXIF) a JPEG (APP1), PNG (eXIf) or WebP (EXIF chunk) carries. */
function exifBlocks(file: Buffer): Buffer[] {
  const blocks: Buffer[] = [];
  const stripHeader = (data: Buffer) => (data.toString('latin1', 0, 6) === 'Exif\0\0' ? data.subarray(6) : data);
  if (file[0] === 0xff && file[1] === 0xd8) {
    let at = 2;
    while (at + 4 <= file.length && file[at] === 0xff) {
      const marker = file[at + 1];
      // Start of scan (compressed data follows) or end of image: no metadata segments after it.
      if (marker === 0xda || marker === 0xd9) break;
      const length = file.readUInt16BE(at + 2);
      const data = file.subarray(at + 4, at + 2 + length);
      if (marker === 0xe1 && data.toString('latin1', 0, 6) === 'Exif\0\0') blocks.push(data.subarray(6));
      at += 2 + length;
    }
  } else if (file.toString('latin1', 1, 4) === 'PNG') {
    for (let at = 8; at + 8 <= file.length; ) {
      const length = file.readUInt32BE(at);
      if (file.toString('latin1', at + 4, at + 8) === 'eXIf') blocks.push(file.subarray(at + 8, at + 8 + length));
      at += 12 + length;
    }
  } else if (file.toString('latin1', 0, 4) === 'RIFF' && file.toString('latin1', 8, 12) === 'WEBP') {
    for (let at = 12; at + 8 <= file.length; ) {
      const length = file.readUInt32LE(at + 4);
      if (file.toString('latin1', at, at + 4) === 'EXIF') blocks.push(stripHeader(file.subarray(at + 8, at + 8 + length)));
      at += 8 + length + (length % 2);
    }
  }
  return blocks;
}

interface IfdEntry {
  tag: number;
  type: number;
  count: number;
  /** Offset of the entry's 4-byte value/offset field in the TIFF block. */
  at: number;
}

function readIfd(tiff: Buffer, offset: number, little: boolean): IfdEntry[] {
  const u16 = (at: number) => (little ? tiff.readUInt16LE(at) : tiff.readUInt16BE(at));
  const u32 = (at: number) => (little ? tiff.readUInt32LE(at) : tiff.readUInt32BE(at));
  if (offset + 2 > tiff.length) return [];
  const entries: IfdEntry[] = [];
  for (let i = 0, n = u16(offset); i < n && offset + 2 + i * 12 + 12 <= tiff.length; i++) {
    const at = offset + 2 + i * 12;
    entries.push({ tag: u16(at), type: u16(at + 2), count: u32(at + 4), at: at + 8 });
  }
  return entries;
}

/** The GPS IFD's entries of an EXIF block, or null when IFD0 has no GPS pointer (tag 0x8825). */
function gpsIfd(tiff: Buffer): { entries: IfdEntry[]; tiff: Buffer; little: boolean } | null {
  if (tiff.length < 8) return null;
  const order = tiff.toString('latin1', 0, 2);
  if (order !== 'II' && order !== 'MM') return null;
  const little = order === 'II';
  const u32 = (at: number) => (little ? tiff.readUInt32LE(at) : tiff.readUInt32BE(at));
  const pointer = readIfd(tiff, u32(4), little).find((entry) => entry.tag === 0x8825);
  return pointer ? { entries: readIfd(tiff, u32(pointer.at), little), tiff, little } : null;
}

/**
 * Whether an image (JPEG, PNG or WebP) carries a GPS location: its EXIF has a GPS IFD (pointer tag
 * 0x8825 in IFD0) with at least one entry. Other formats are never judged to carry one.
 */
export function hasGps(file: Buffer): boolean {
  return exifBlocks(file).some((tiff) => (gpsIfd(tiff)?.entries.length ?? 0) > 0);
}

/** The latitude and longitude of an image's EXIF GPS, in signed degrees, or null. */
export function gpsCoordinates(file: Buffer): { latitude: number; longitude: number } | null {
  for (const tiff of exifBlocks(file)) {
    const gps = gpsIfd(tiff);
    if (!gps) continue;
    const u32 = (at: number) => (gps.little ? tiff.readUInt32LE(at) : tiff.readUInt32BE(at));
    const entry = (tag: number) => gps.entries.find((candidate) => candidate.tag === tag);
    const ref = (tag: number) => {
      const found = entry(tag);
      return found ? tiff.toString('latin1', found.at, found.at + 1) : '';
    };
    const degrees = (tag: number) => {
      const found = entry(tag);
      // Three RATIONALs (type 5), always stored at an offset.
      if (!found || found.type !== 5 || found.count !== 3) return null;
      const base = u32(found.at);
      const [d, m, s] = [0, 1, 2].map((i) => u32(base + i * 8) / u32(base + i * 8 + 4));
      return d + m / 60 + s / 3600;
    };
    const latitude = degrees(0x0002);
    const longitude = degrees(0x0004);
    if (latitude === null || longitude === null) continue;
    return { latitude: ref(0x0001) === 'S' ? -latitude : latitude, longitude: ref(0x0003) === 'W' ? -longitude : longitude };
  }
  return null;
}

function box(type: string | Buffer, ...children: Buffer[]): Buffer {
  const body = Buffer.concat(children);
  const header = Buffer.alloc(8);
  header.writeUInt32BE(8 + body.length, 0);
  (typeof type === 'string' ? Buffer.from(type, 'latin1') : type).copy(header, 4);
  return Buffer.concat([header, body]);
}

/** The ISO 6709 string the fixtures' MP4 carries in its `©xyz` box. */
export const MP4_LOCATION = '+48.8584+002.2945/';

/**
 * A minimal MP4 box structure with a location, as phones write it: ftyp, moov { udta { ©xyz } }, mdat.
 * Not playable (no tracks): for checking that a client strips the location box before it uploads.
 */
export function mp4WithLocation(): Buffer {
  const brands = Buffer.concat([Buffer.from('isom', 'latin1'), Buffer.from([0, 0, 2, 0]), Buffer.from('isomiso2mp41', 'latin1')]);
  const location = Buffer.from(MP4_LOCATION, 'latin1');
  const xyzHeader = Buffer.alloc(4);
  xyzHeader.writeUInt16BE(location.length, 0);
  xyzHeader.writeUInt16BE(0x15c7, 2); // packed ISO-639 language code
  const xyz = box(Buffer.from([0xa9, 0x78, 0x79, 0x7a]), xyzHeader, location);
  return Buffer.concat([box('ftyp', brands), box('moov', box('udta', xyz)), box('mdat', Buffer.alloc(64, 0x42))]);
}

/** The `©xyz` location of an MP4/MOV (in moov, its tracks, udta or meta), or null. */
export function mp4Location(file: Buffer): string | null {
  const containers = new Set(['moov', 'trak', 'udta', 'meta', 'mdia', 'minf']);
  const walk = (from: number, to: number): string | null => {
    for (let at = from; at + 8 <= to; ) {
      let size = file.readUInt32BE(at);
      const type = file.toString('latin1', at + 4, at + 8);
      let header = 8;
      if (size === 1 && at + 16 <= to) {
        size = Number(file.readBigUInt64BE(at + 8));
        header = 16;
      } else if (size === 0) {
        size = to - at;
      }
      if (size < header || at + size > to) return null;
      if (type === '\u00a9xyz') {
        const length = file.readUInt16BE(at + header);
        return file.toString('latin1', at + header + 4, at + header + 4 + length);
      }
      if (containers.has(type)) {
        // A `meta` box is a full box: version and flags come before its children.
        const found = walk(at + header + (type === 'meta' ? 4 : 0), at + size);
        if (found !== null) return found;
      }
      at += size;
    }
    return null;
  };
  return walk(0, file.length);
}

/**
 * The entries of a store-only zip (what the web client's conversation export writes), read the way an
 * unzipper does: end record, central directory, local headers; each entry's CRC-32 is checked.
 */
export function readStoredZip(zip: Buffer): Map<string, Buffer> {
  const end = zip.length - 22;
  if (zip.readUInt32LE(end) !== 0x06054b50) throw new Error('No zip end record (a comment is not expected)');
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const entries = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error(`No central directory header at ${at}`);
    const method = zip.readUInt16LE(at + 10);
    const crc = zip.readUInt32LE(at + 16);
    const size = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const offset = zip.readUInt32LE(at + 42);
    const name = zip.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    if (method !== 0) throw new Error(`${name} is not stored`);
    if (zip.readUInt32LE(offset) !== 0x04034b50) throw new Error(`No local header for ${name}`);
    const start = offset + 30 + zip.readUInt16LE(offset + 26) + zip.readUInt16LE(offset + 28);
    const data = zip.subarray(start, start + size);
    if (crc32(data) !== crc) throw new Error(`${name} fails its CRC-32`);
    entries.set(name, data);
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return entries;
}

/** Three seconds of a 440 Hz tone, 16-bit mono PCM at 48 kHz: what Chromium's fake microphone plays. */
export function toneWav(seconds: number): Buffer {
  const rate = 48_000;
  const samples = rate * seconds;
  const wav = Buffer.alloc(44 + samples * 2);
  wav.write('RIFF', 0, 'latin1');
  wav.writeUInt32LE(36 + samples * 2, 4);
  wav.write('WAVEfmt ', 8, 'latin1');
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20);
  wav.writeUInt16LE(1, 22);
  wav.writeUInt32LE(rate, 24);
  wav.writeUInt32LE(rate * 2, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write('data', 36, 'latin1');
  wav.writeUInt32LE(samples * 2, 40);
  for (let i = 0; i < samples; i++) wav.writeInt16LE(Math.round(Math.sin((2 * Math.PI * 440 * i) / rate) * 12_000), 44 + i * 2);
  return wav;
}


/** Chromium flags for a microphone that grants itself and plays three seconds of a tone (MediaRecorder specs). */
export function fakeMicrophoneArgs(): string[] {
  const tone = join(mkdtempSync(join(tmpdir(), 'iris-e2e-voice-')), 'tone.wav');
  writeFileSync(tone, toneWav(3));
  return ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${tone}`];
}
