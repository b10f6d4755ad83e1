import { GifFormatError, stripGifMetadata } from './gif-metadata';

const bytes = (...parts: (number[] | string)[]) =>
  Uint8Array.from(parts.flatMap((part) => (typeof part === 'string' ? Array.from(part, (char) => char.charCodeAt(0)) : part)));

const latin1 = (data: Uint8Array) => new TextDecoder('latin1').decode(data);

/** Header and a 1x1 screen with a 2-colour global palette. */
const HEAD = bytes('GIF89a', [1, 0, 1, 0, 0x80, 0, 0], [0, 0, 0, 255, 255, 255]);
const LOOP = bytes([0x21, 0xff, 11], 'NETSCAPE2.0', [3, 1, 0, 0, 0]);
const GRAPHIC_CONTROL = bytes([0x21, 0xf9, 4, 0, 10, 0, 0, 0]);
const FRAME = bytes([0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0], [2, 2, 0x4c, 0x01, 0]);
const COMMENT = bytes([0x21, 0xfe, 14], 'Shot on iPhone', [0]);
const XMP = bytes([0x21, 0xff, 11], 'XMP DataXMP', [30], '<exif:GPSLatitude>48,51.5N</x>', [0]);
const TRAILER = bytes([0x3b]);

function gif(...blocks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(blocks.reduce((sum, block) => sum + block.length, 0));
  let at = 0;
  for (const block of blocks) {
    out.set(block, at);
    at += block.length;
  }
  return out;
}

describe('stripGifMetadata', () => {
  it('drops comments and XMP, and keeps the loop, the timing and every frame byte for byte', () => {
    const input = gif(HEAD, LOOP, COMMENT, XMP, GRAPHIC_CONTROL, FRAME, GRAPHIC_CONTROL, FRAME, TRAILER);

    const sut = stripGifMetadata(input);

    expect(latin1(sut)).not.toContain('GPSLatitude');
    expect(latin1(sut)).not.toContain('iPhone');
    expect(Array.from(sut)).toEqual(Array.from(gif(HEAD, LOOP, GRAPHIC_CONTROL, FRAME, GRAPHIC_CONTROL, FRAME, TRAILER)));
  });

  it('leaves a GIF without metadata as it was', () => {
    const input = gif(HEAD, FRAME, TRAILER);

    expect(Array.from(stripGifMetadata(input))).toEqual(Array.from(input));
  });

  it.each([
    ['not a GIF', bytes('\u0089PNG\r\n\u001a\n')],
    ['a file cut in a frame', gif(HEAD, FRAME).subarray(0, HEAD.length + 12)],
    ['a file without its trailer', gif(HEAD, FRAME)],
    ['an unknown block', gif(HEAD, bytes([0x42]), TRAILER)],
    ['a cut-off palette', HEAD.subarray(0, 15)],
  ])('refuses %s', (_case, input) => {
    expect(() => stripGifMetadata(input)).toThrow(GifFormatError);
  });
});
