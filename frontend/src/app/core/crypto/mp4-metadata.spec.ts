import { Mp4FormatError, stripMp4Metadata } from './mp4-metadata';

const text = (value: string) => Uint8Array.from(value, (char) => char.charCodeAt(0));

function box(type: string, ...children: Uint8Array[]): Uint8Array {
  const payload = concat(...children);
  const out = new Uint8Array(8 + payload.length);
  new DataView(out.buffer).setUint32(0, out.length);
  out.set(text(type), 4);
  out.set(payload, 8);
  return out;
}

/** A box with a 64-bit `largesize` header (size field 1). */
function largeBox(type: string, ...children: Uint8Array[]): Uint8Array {
  const payload = concat(...children);
  const out = new Uint8Array(16 + payload.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, 1);
  out.set(text(type), 4);
  view.setBigUint64(8, BigInt(out.length));
  out.set(payload, 16);
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function contains(haystack: Uint8Array, needle: string): boolean {
  return new TextDecoder('latin1').decode(haystack).includes(needle);
}

const GPS = '+48.8584+002.2945/';
/** `©xyz` as QuickTime writes it: the © is byte 0xA9. */
const xyz = () => box('\u00a9xyz', text(`\u0000\u0012\u0015\u00c7${GPS}`));
const stco = () => box('stco', new Uint8Array([0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 48]));

function movie(): Uint8Array {
  return concat(
    box('ftyp', text('isom'), new Uint8Array(4), text('isommp41')),
    box(
      'moov',
      box('mvhd', new Uint8Array(20)),
      box('trak', box('tkhd', new Uint8Array(12)), box('mdia', box('minf', box('stbl', stco()))), box('meta', text('handler com.apple.quicktime.make Apple'))),
      box('udta', xyz(), box('\u00a9mak', text('Apple iPhone'))),
      box('meta', text('keys com.apple.quicktime.location.ISO6709 ' + GPS)),
    ),
    box('mdat', text('frame data stays as it is')),
  );
}

describe('stripMp4Metadata', () => {
  it('blanks udta, meta under moov and trak, and the GPS string is gone', () => {
    const input = movie();

    const { bytes, removed } = stripMp4Metadata(input);

    expect(contains(input, GPS)).toBe(true);
    expect(contains(bytes, GPS)).toBe(false);
    expect(contains(bytes, 'Apple')).toBe(false);
    expect(removed).toEqual(['moov/trak/meta', 'moov/udta', 'moov/meta']);
  });

  it('keeps the size of the file and of every box, so chunk offsets stay valid', () => {
    const input = movie();

    const { bytes } = stripMp4Metadata(input);

    expect(bytes.length).toBe(input.length);
    const differing = [...bytes.keys()].filter((i) => bytes[i] !== input[i]);
    const udta = input.findIndex((_, i) => contains(input.subarray(i, i + 4), 'udta'));
    // Only the type (udta -> free) and payload bytes changed; the size field in front is untouched.
    expect(differing).not.toContain(udta - 1);
    expect(new TextDecoder('latin1').decode(bytes.subarray(udta, udta + 4))).toBe('free');
    expect(contains(bytes, 'stco')).toBe(true);
    expect(contains(bytes, 'frame data stays as it is')).toBe(true);
  });

  it('does not change the input array', () => {
    const input = movie();
    const copy = input.slice();

    stripMp4Metadata(input);

    expect(input).toEqual(copy);
  });

  it('blanks a ©xyz box met outside udta, and a 3GPP loci box', () => {
    const input = concat(box('ftyp', text('qt  ')), box('moov', box('trak', xyz(), box('loci', text(GPS)))));

    const { bytes, removed } = stripMp4Metadata(input);

    expect(removed).toEqual(['moov/trak/\u00a9xyz', 'moov/trak/loci']);
    expect(contains(bytes, GPS)).toBe(false);
  });

  it('walks boxes with a 64-bit largesize header and blanks them keeping the largesize', () => {
    const input = concat(box('ftyp', text('isom')), largeBox('moov', largeBox('udta', xyz())), largeBox('mdat', text('payload')));

    const { bytes, removed } = stripMp4Metadata(input);

    expect(removed).toEqual(['moov/udta']);
    expect(contains(bytes, GPS)).toBe(false);
    const udtaAt = 12 + 16;
    const view = new DataView(bytes.buffer);
    expect(view.getUint32(udtaAt)).toBe(1);
    expect(new TextDecoder('latin1').decode(bytes.subarray(udtaAt + 4, udtaAt + 8))).toBe('free');
    expect(Number(view.getBigUint64(udtaAt + 8))).toBe(16 + xyz().length);
    expect(contains(bytes, 'payload')).toBe(true);
  });

  it('accepts a last box whose size is 0 (to the end of the file)', () => {
    const mdat = box('mdat', text('open-ended'));
    new DataView(mdat.buffer).setUint32(0, 0);

    const { bytes } = stripMp4Metadata(concat(box('ftyp', text('isom')), box('moov', box('udta', xyz())), mdat));

    expect(contains(bytes, GPS)).toBe(false);
  });

  it('blanks an XMP uuid box', () => {
    const xmpUuid = new Uint8Array([0xbe, 0x7a, 0xcf, 0xcb, 0x97, 0xa9, 0x42, 0xe8, 0x9c, 0x71, 0x99, 0x94, 0x91, 0xe3, 0xaf, 0xac]);
    const input = concat(box('ftyp', text('isom')), box('uuid', xmpUuid, text(`<x:xmpmeta exif:GPSLatitude="${GPS}"/>`)), box('moov'));

    expect(contains(stripMp4Metadata(input).bytes, GPS)).toBe(false);
  });

  describe('malformed files', () => {
    it('refuses a file cut in the middle of a box', () => {
      const input = movie();

      expect(() => stripMp4Metadata(input.subarray(0, input.length - 5))).toThrow(/runs past the end/);
    });

    it('refuses a box header cut off', () => {
      expect(() => stripMp4Metadata(concat(box('ftyp', text('isom')), box('moov'), new Uint8Array(5)))).toThrow(Mp4FormatError);
    });

    it('refuses a box whose size is smaller than its header, instead of looping forever', () => {
      const input = concat(box('ftyp', text('isom')), box('moov', box('udta')));
      new DataView(input.buffer).setUint32(12 + 8, 4);

      expect(() => stripMp4Metadata(input)).toThrow(/invalid size 4/);
    });

    it('refuses a largesize beyond the file', () => {
      const input = concat(box('ftyp', text('isom')), largeBox('moov', box('udta')));
      new DataView(input.buffer).setBigUint64(12 + 8, 1n << 60n);

      expect(() => stripMp4Metadata(input)).toThrow(Mp4FormatError);
    });

    it('refuses something that is not an MP4 at all', () => {
      expect(() => stripMp4Metadata(new TextEncoder().encode('\u0089PNG\r\n\u001a\n........'))).toThrow(Mp4FormatError);
      expect(() => stripMp4Metadata(new Uint8Array(3))).toThrow(/too short/);
    });

    it('refuses a file without a movie box', () => {
      expect(() => stripMp4Metadata(box('ftyp', text('isom')))).toThrow(/no movie box/);
    });

    it('stops at absurd nesting', () => {
      let nested = box('udta');
      for (let i = 0; i < 40; i++) nested = box(i % 2 ? 'trak' : 'moov', nested);

      expect(() => stripMp4Metadata(concat(box('ftyp', text('isom')), nested))).toThrow(/nested too deep/);
    });

    it('gets through 10,000 random inputs without hanging, throwing only its own error', () => {
      let seed = 42;
      const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
      const base = movie();
      for (let i = 0; i < 10_000; i++) {
        const input = base.slice(0, Math.floor(random() * base.length) + 1);
        for (let j = 0; j < 3; j++) input[Math.floor(random() * input.length)] = Math.floor(random() * 256);
        try {
          stripMp4Metadata(input);
        } catch (error) {
          expect(error).toBeInstanceOf(Mp4FormatError);
        }
      }
    });
  });
});
