import { type DecodedImage, type ImageCodec, prepareImage } from './image-metadata';

interface Encoded {
  width: number;
  height: number;
  type: string;
  opaque: boolean;
}

/** Stands in for createImageBitmap + canvas: records every encode; `unsupported` types come back as PNG, as canvases do. */
function fakeCodec(width: number, height: number, unsupported: string[] = []): { codec: ImageCodec; encoded: Encoded[] } {
  const encoded: Encoded[] = [];
  const image: DecodedImage = {
    width,
    height,
    async encode(w, h, type, _quality, opaque) {
      encoded.push({ width: w, height: h, type, opaque });
      return new Blob(['pixels'], { type: unsupported.includes(type) ? 'image/png' : type });
    },
    close: vi.fn(),
  };
  return { codec: { decode: async () => image }, encoded };
}

const file = (type: string, content: BlobPart = 'original with EXIF GPS') => new Blob([content], { type });

describe('prepareImage', () => {
  it.each(['image/jpeg', 'image/png', 'image/webp'])('re-encodes %s in its own format', async (type) => {
    const { codec, encoded } = fakeCodec(4000, 3000);

    const sut = await prepareImage(file(type), codec);

    expect(sut.mimetype).toBe(type);
    expect(encoded[1]).toEqual({ width: 4000, height: 3000, type, opaque: type === 'image/jpeg' });
    expect(await sut.blob.text()).toBe('pixels');
  });

  it('makes HEIC and AVIF photos JPEG, and any other still image PNG', async () => {
    expect((await prepareImage(file('image/heic'), fakeCodec(10, 10).codec)).mimetype).toBe('image/jpeg');
    expect((await prepareImage(file('image/avif'), fakeCodec(10, 10).codec)).mimetype).toBe('image/jpeg');
    expect((await prepareImage(file('image/bmp'), fakeCodec(10, 10).codec)).mimetype).toBe('image/png');
  });

  it('reports the type the browser really produced when it cannot encode the original one', async () => {
    const sut = await prepareImage(file('image/webp'), fakeCodec(10, 10, ['image/webp']).codec);

    expect(sut.mimetype).toBe('image/png');
  });

  it('makes a JPEG thumbnail of at most 320 px on its longest side, keeping the proportions', async () => {
    const { codec } = fakeCodec(4000, 3000);

    const sut = await prepareImage(file('image/png'), codec);

    expect(sut.thumbnail).toMatchObject({ mimetype: 'image/jpeg', width: 320, height: 240 });
    expect(sut).toMatchObject({ width: 4000, height: 3000 });
  });

  it('does not enlarge a small image for its thumbnail', async () => {
    const sut = await prepareImage(file('image/png'), fakeCodec(100, 50).codec);

    expect(sut.thumbnail).toMatchObject({ width: 100, height: 50 });
  });

  it('keeps a GIF’s frames (no canvas) and drops its metadata', async () => {
    const { codec, encoded } = fakeCodec(1, 1);
    const gif = Uint8Array.from([
      ...Array.from('GIF89a', (c) => c.charCodeAt(0)), 1, 0, 1, 0, 0, 0, 0,
      0x21, 0xfe, 3, 71, 80, 83, 0,
      0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x4c, 0x01, 0,
      0x3b,
    ]);

    const sut = await prepareImage(file('image/gif', gif), codec);

    expect(sut.mimetype).toBe('image/gif');
    expect(new Uint8Array(await sut.blob.arrayBuffer())).toHaveLength(gif.length - 7);
    expect(encoded.map((e) => e.type)).toEqual(['image/jpeg']);
  });
});
