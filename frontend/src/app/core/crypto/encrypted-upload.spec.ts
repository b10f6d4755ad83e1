import { AttachmentCipher } from './attachment-cipher';
import { decryptFile } from './attachment-crypto';
import { prepareEncryptedUpload, RecordedAudio, sniffMediaType } from './encrypted-upload';
import type { DecodedImage, ImageCodec } from './image-metadata';
import { parseMessageContent } from './message-content';

const ID = '0f8fad5b-d9cb-469f-a165-70867728950e';
const OTHER_ID = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const GPS = '+48.8584+002.2945/';

function codec(fail = false): ImageCodec {
  const image: DecodedImage = {
    width: 640,
    height: 480,
    encode: async (_w, _h, type) => new Blob([`re-encoded ${type}`], { type }),
    close: () => undefined,
  };
  return { decode: async () => (fail ? Promise.reject(new Error('cannot decode')) : image) };
}

function box(type: string, payload: string): Uint8Array {
  const out = new Uint8Array(8 + payload.length);
  new DataView(out.buffer).setUint32(0, out.length);
  out.set(Uint8Array.from(type + payload, (c) => c.charCodeAt(0)), 4);
  return out;
}

function mp4(): Uint8Array<ArrayBuffer> {
  const udta = box('udta', `\u0000\u0000\u0000\u001a\u00a9xyz${GPS}`);
  const moov = new Uint8Array(8 + udta.length);
  new DataView(moov.buffer).setUint32(0, moov.length);
  moov.set(Uint8Array.from('moov', (c) => c.charCodeAt(0)), 4);
  moov.set(udta, 8);
  const ftyp = box('ftyp', 'isom');
  const out = new Uint8Array(ftyp.length + moov.length);
  out.set(ftyp);
  out.set(moov, ftyp.length);
  return out;
}

async function opened(blob: Blob, info: Parameters<typeof decryptFile>[1]): Promise<string> {
  return new TextDecoder('latin1').decode(await decryptFile(await blob.arrayBuffer(), info));
}

describe('prepareEncryptedUpload', () => {
  const cipher = new AttachmentCipher(() => null);
  const noVideo = async () => null;

  it('uploads a re-encoded image and its thumbnail as opaque blobs, with info a peer accepts', async () => {
    const file = new File(['JPEG with EXIF ' + GPS], 'holiday.jpg', { type: 'image/jpeg' });

    const sut = await prepareEncryptedUpload(file, cipher, { codec: codec() });

    expect(sut.metadata).toBe('removed');
    expect(sut.blob.type).toBe('application/octet-stream');
    expect(await opened(sut.blob, sut.info)).toBe('re-encoded image/jpeg');
    expect(sut.info).toMatchObject({ mimetype: 'image/jpeg', name: 'holiday.jpg', size: 're-encoded image/jpeg'.length, width: 640, height: 480 });
    expect(sut.thumbnail?.info).toMatchObject({ mimetype: 'image/jpeg', width: 320, height: 240 });
    expect(await opened(sut.thumbnail!.blob, sut.thumbnail!.info)).toBe('re-encoded image/jpeg');
    const content = { type: 'text', attachments: [{ id: ID, ...sut.info, thumbnail: { id: OTHER_ID, ...sut.thumbnail!.info } }] };
    expect(parseMessageContent(JSON.parse(JSON.stringify(content)))).not.toBeNull();
  });

  it('goes by the bytes, not the name: a JPEG named .txt with no type is still re-encoded', async () => {
    const file = new File([Uint8Array.from([0xff, 0xd8, 0xff, 0xe1]), 'Exif GPS ' + GPS], 'notes.txt', { type: '' });

    const sut = await prepareEncryptedUpload(file, cipher, { codec: codec() });

    expect(sut.metadata).toBe('removed');
    expect(sut.info.mimetype).toBe('image/jpeg');
    expect(await opened(sut.blob, sut.info)).toBe('re-encoded image/jpeg');
  });

  it('sends an image the browser cannot decode as it is, and says its metadata was kept', async () => {
    const file = new File(['HEIC bytes'], 'photo.heic', { type: 'image/heic' });

    const sut = await prepareEncryptedUpload(file, cipher, { codec: codec(true) });

    expect(sut.metadata).toBe('kept');
    expect(await opened(sut.blob, sut.info)).toBe('HEIC bytes');
  });

  it('removes the location from an MP4 before encrypting it', async () => {
    const input = mp4();
    const file = new File([input], 'clip.mp4', { type: 'video/mp4' });

    const sut = await prepareEncryptedUpload(file, cipher, { probeVideo: noVideo });

    expect(sut.metadata).toBe('removed');
    const plaintext = await opened(sut.blob, sut.info);
    expect(plaintext).not.toContain(GPS);
    expect(plaintext.length).toBe(input.length);
    expect(sut.thumbnail).toBeNull();
  });

  it('sends an unreadable MP4 as it is', async () => {
    const file = new File(['not really a video'], 'clip.mp4', { type: 'video/mp4' });

    const sut = await prepareEncryptedUpload(file, cipher, { probeVideo: noVideo });

    expect(sut.metadata).toBe('kept');
  });

  it('encrypts any other file unchanged', async () => {
    const file = new File(['%PDF-1.7'], 'report.pdf', { type: 'application/pdf' });

    const sut = await prepareEncryptedUpload(file, cipher);

    expect(sut.metadata).toBe('none');
    expect(sut.info).toMatchObject({ mimetype: 'application/pdf', name: 'report.pdf', size: 8 });
    expect(await opened(sut.blob, sut.info)).toBe('%PDF-1.7');
  });

  it('puts the length of a recording into the encrypted info (its WebM header has none)', async () => {
    const file = new RecordedAudio(['voice'], 'voice-message-2026-12-06-10-20-30.webm', { type: 'audio/webm' }, 5);

    const sut = await prepareEncryptedUpload(file, cipher);

    expect(sut.info).toMatchObject({ mimetype: 'audio/webm', name: 'voice-message-2026-12-06-10-20-30.webm', durationSeconds: 5 });
  });
});

describe('sniffMediaType', () => {
  const bytes = (...values: (number | string)[]) =>
    Uint8Array.from(values.flatMap((value) => (typeof value === 'number' ? [value] : [...value].map((c) => c.charCodeAt(0)))));

  it('names the formats that carry metadata by their first bytes, and nothing else', () => {
    expect(sniffMediaType(bytes(0xff, 0xd8, 0xff, 0xe0))).toBe('image/jpeg');
    expect(sniffMediaType(bytes(0x89, 'PNG', 0x0d, 0x0a, 0x1a, 0x0a))).toBe('image/png');
    expect(sniffMediaType(bytes('GIF89a'))).toBe('image/gif');
    expect(sniffMediaType(bytes('RIFF', 0, 0, 0, 0, 'WEBPVP8 '))).toBe('image/webp');
    expect(sniffMediaType(bytes(0, 0, 0, 24, 'ftypheic'))).toBe('image/heic');
    expect(sniffMediaType(bytes(0, 0, 0, 24, 'ftypavif'))).toBe('image/avif');
    expect(sniffMediaType(bytes(0, 0, 0, 24, 'ftypqt  '))).toBe('video/quicktime');
    expect(sniffMediaType(bytes(0, 0, 0, 24, 'ftypisom'))).toBe('video/mp4');
    expect(sniffMediaType(bytes('%PDF-1.7'))).toBeNull();
    expect(sniffMediaType(bytes())).toBeNull();
  });
});
