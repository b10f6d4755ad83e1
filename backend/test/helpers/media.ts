import { randomBytes } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';

/** A small real JPEG carrying EXIF with GPS coordinates (IFD3) and a camera make. */
export function jpegWithGps(width = 640, height = 480): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 200, g: 40, b: 40 } } })
    .jpeg()
    .withExif({
      IFD0: { Make: 'IrisTestCam', Model: 'Leaky 1' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 24/1', GPSLongitudeRef: 'E', GPSLongitude: '2/1 21/1 3/1' },
    })
    .toBuffer();
}

export function png(width = 64, height = 64): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 4, background: { r: 0, g: 128, b: 255, alpha: 1 } } })
    .png()
    .toBuffer();
}

/** Whether a TIFF-structured EXIF block holds the GPS IFD pointer (tag 0x8825), in either byte order. */
export function hasGpsTag(exif: Buffer | undefined): boolean {
  if (!exif) return false;
  return exif.includes(Buffer.from([0x88, 0x25])) || exif.includes(Buffer.from([0x25, 0x88]));
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/**
 * A "pixel flood": a PNG of a few hundred bytes whose header claims `width`×`height` pixels, which
 * would take gigabytes to decode.
 */
export function pixelFloodPng(width = 30_000, height = 30_000): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 0, 0, 0, 0], 8); // 8-bit greyscale, deflate, no filter, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.alloc(1024))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A PNG with a valid signature and header but image data that is not zlib: recognised as PNG, undecodable. */
export function undecodablePng(): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(64, 0);
  header.writeUInt32BE(64, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', Buffer.alloc(500, 0x5a)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** An ISO-BMFF box: 32-bit size, four-character type (latin1, so `©` is 0xA9), payload. */
export function mp4Box(type: string, ...payload: Buffer[]): Buffer {
  const body = Buffer.concat(payload);
  const header = Buffer.alloc(8);
  header.writeUInt32BE(8 + body.length);
  header.write(type, 4, 'latin1');
  return Buffer.concat([header, body]);
}

const FTYP = Buffer.from('000000186674797069736f6d0000020069736f6d6d703431', 'hex');

/**
 * A well-formed MP4 box tree with no metadata (an `ftyp` box of brand isom that file-type recognises as
 * video/mp4, a `moov` with an `mvhd`), then an `mdat` of random bytes: `size` bytes in all at least.
 */
export function mp4Like(size = 64 * 1024): Buffer {
  const moov = mp4Box('moov', mp4Box('mvhd', Buffer.alloc(100)));
  return Buffer.concat([FTYP, moov, mp4Box('mdat', randomBytes(Math.max(0, size - FTYP.length - moov.length - 8)))]);
}

export const VIDEO_LOCATION = '+48.8583+002.2945/';

/** An MP4 as a phone writes it: the place it was filmed in `moov/udta/©xyz`, the camera in `©mak`, QuickTime keys in `moov/meta`. */
export function mp4WithLocation(): Buffer {
  const xyz = mp4Box('\u00a9xyz', Buffer.from([0, 0x12, 0x15, 0xc7]), Buffer.from(VIDEO_LOCATION, 'latin1'));
  const moov = mp4Box(
    'moov',
    mp4Box('mvhd', Buffer.alloc(100)),
    mp4Box('trak', mp4Box('tkhd', Buffer.alloc(84)), mp4Box('meta', Buffer.from('com.apple.quicktime.make Apple'))),
    mp4Box('udta', xyz, mp4Box('\u00a9mak', Buffer.from('LeakCam'))),
    mp4Box('meta', Buffer.from(`keys com.apple.quicktime.location.ISO6709 ${VIDEO_LOCATION}`)),
  );
  return Buffer.concat([FTYP, moov, mp4Box('mdat', Buffer.from('frame data stays as it is'))]);
}

/** A real WAV file: 8 kHz, 8-bit mono silence lasting `seconds`. */
export function wav(seconds = 2): Buffer {
  const rate = 8000;
  const data = Buffer.alloc(rate * seconds, 128);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate, 28); // byte rate
  header.writeUInt16LE(1, 32); // block align
  header.writeUInt16LE(8, 34); // bits per sample
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

/** A GIF89a of `frames` uniform frames alternating black and white, so no two neighbours are equal. */
export function animatedGif(width: number, height: number, frames: number): Buffer {
  const lzw = (count: number, value: number): Buffer => {
    const minCodeSize = 2;
    const clear = 1 << minCodeSize;
    let codeSize = minCodeSize + 1;
    let next = clear + 2;
    const out: number[] = [];
    let acc = 0;
    let bits = 0;
    const emit = (code: number) => {
      acc |= code << bits;
      bits += codeSize;
      while (bits >= 8) {
        out.push(acc & 255);
        acc >>>= 8;
        bits -= 8;
      }
    };
    const table = new Map<number, number>();
    emit(clear);
    let prefix = value;
    for (let i = 1; i < count; i++) {
      const hit = table.get(prefix * 256 + value);
      if (hit !== undefined) {
        prefix = hit;
        continue;
      }
      emit(prefix);
      if (next < 4096) {
        table.set(prefix * 256 + value, next++);
        if (next > 1 << codeSize && codeSize < 12) codeSize++;
      }
      prefix = value;
    }
    emit(prefix);
    emit(clear + 1);
    if (bits > 0) out.push(acc & 255);
    return Buffer.from(out);
  };
  const screen = Buffer.alloc(7);
  screen.writeUInt16LE(width, 0);
  screen.writeUInt16LE(height, 2);
  screen[4] = 0x80;
  const parts: Buffer[] = [Buffer.from('GIF89a'), screen, Buffer.from([0, 0, 0, 255, 255, 255])];
  parts.push(Buffer.from([0x21, 0xff, 11, ...Buffer.from('NETSCAPE2.0'), 3, 1, 0, 0, 0]));
  const data = [lzw(width * height, 0), lzw(width * height, 1)];
  const descriptor = Buffer.alloc(10);
  descriptor[0] = 0x2c;
  descriptor.writeUInt16LE(width, 5);
  descriptor.writeUInt16LE(height, 7);
  for (let frame = 0; frame < frames; frame++) {
    parts.push(Buffer.from([0x21, 0xf9, 4, 0, 1, 0, 0, 0]), descriptor, Buffer.from([2]));
    const lzwData = data[frame % 2];
    for (let i = 0; i < lzwData.length; i += 255) {
      const block = lzwData.subarray(i, i + 255);
      parts.push(Buffer.from([block.length]), block);
    }
    parts.push(Buffer.from([0]));
  }
  parts.push(Buffer.from([0x3b]));
  return Buffer.concat(parts);
}
