import type { AttachmentDto } from '../../../sdk/models/attachment-dto';
import { type EncryptedAttachmentInfo, messageContentFromPlain, parseMessageContent } from './message-content';

const ID = '0f8fad5b-d9cb-469f-a165-70867728950e';
const OTHER_ID = '7c9e6679-7425-40de-944b-e07fc1f90ae7';

function attachment(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: ID,
    key: { kty: 'oct', alg: 'A256CTR', ext: true, k: 'q'.repeat(43), key_ops: ['encrypt', 'decrypt'] },
    iv: 'AAAAAAAAAAAAAAAAAAAAAA',
    hashes: { sha256: 'h'.repeat(43) },
    v: 'v2',
    mimetype: 'image/jpeg',
    name: 'beach.jpg',
    size: 1234,
    width: 800,
    height: 600,
    ...overrides,
  };
}

describe('message content', () => {
  describe('parseMessageContent', () => {
    it('accepts a text with a reply and an attachment with its thumbnail', () => {
      const thumbnail = { ...attachment({ id: OTHER_ID, width: 320, height: 240 }) };
      delete thumbnail['name'];
      const input = { type: 'text', body: 'hello', inReplyTo: OTHER_ID, clientId: OTHER_ID, attachments: [attachment({ thumbnail })] };

      const sut = parseMessageContent(JSON.stringify(input));

      expect(sut).toEqual(input);
    });

    it('accepts a reaction and a notice', () => {
      expect(parseMessageContent({ type: 'reaction', key: '👍' })).toEqual({ type: 'reaction', key: '👍' });
      expect(parseMessageContent({ type: 'notice', body: 'Timer set to 1 hour' })).toEqual({ type: 'notice', body: 'Timer set to 1 hour' });
    });

    it('drops fields it does not know, a plaintext marker and url included', () => {
      const sut = parseMessageContent({ type: 'text', body: 'hi', html: '<img src=x onerror=alert(1)>', attachments: [attachment({ plain: true, url: 'https://evil.example' })] });

      expect(sut).not.toHaveProperty('html');
      expect(sut?.attachments?.[0]).not.toHaveProperty('url');
      expect(sut?.attachments?.[0]).not.toHaveProperty('plain');
    });

    it('keeps nothing of a __proto__ key', () => {
      const sut = parseMessageContent('{"type":"text","body":"x","__proto__":{"polluted":true}}');

      expect(sut).toEqual({ type: 'text', body: 'x' });
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
      expect(Object.getPrototypeOf(sut)).toBe(Object.prototype);
    });

    it.each([
      ['not JSON', '{"type":'],
      ['null', 'null'],
      ['an array', '[]'],
      ['a number', 42],
      ['an unknown type', { type: 'm.text', body: 'x' }],
      ['a missing type', { body: 'x' }],
      ['an empty text', { type: 'text' }],
      ['a blank text', { type: 'text', body: '   ' }],
      ['a body that is not a string', { type: 'text', body: { toString: 'x' } }],
      ['a body over the limit', { type: 'text', body: 'x'.repeat(4001) }],
      ['a body with control characters', { type: 'text', body: 'a\u0000b' }],
      ['a reply to something that is not an id', { type: 'text', body: 'x', inReplyTo: '../../admin' }],
      ['a clientId that is not a uuid', { type: 'text', body: 'x', clientId: 'k1' }],
      ['a reaction without a key', { type: 'reaction' }],
      ['a reaction with a body', { type: 'reaction', key: '👍', body: 'x' }],
      ['a reaction key too long', { type: 'reaction', key: 'x'.repeat(65) }],
      ['a notice with attachments', { type: 'notice', body: 'x', attachments: [attachment()] }],
      ['attachments that are not a list', { type: 'text', attachments: attachment() }],
      ['too many attachments', { type: 'text', attachments: Array.from({ length: 21 }, () => attachment()) }],
    ])('refuses %s', (_case, input) => {
      expect(parseMessageContent(input)).toBeNull();
    });

    it.each([
      ['an id that is not a uuid', { id: 'x' }],
      ['another version', { v: 'v1' }],
      ['another algorithm', { key: { kty: 'oct', alg: 'A128CTR', ext: true, k: 'q'.repeat(43), key_ops: ['decrypt'] } }],
      ['a short key', { key: { kty: 'oct', alg: 'A256CTR', ext: true, k: 'q'.repeat(20), key_ops: ['decrypt'] } }],
      ['a key that cannot decrypt', { key: { kty: 'oct', alg: 'A256CTR', ext: true, k: 'q'.repeat(43), key_ops: ['sign'] } }],
      ['a missing hash', { hashes: {} }],
      ['a hash of the wrong length', { hashes: { sha256: 'abc' } }],
      ['an iv of the wrong length', { iv: 'AAAA' }],
      ['a mime type with a newline', { mimetype: 'text/html\nx' }],
      ['a name with a control character', { name: 'a\u0007.jpg' }],
      ['an empty name', { name: '' }],
      ['a negative size', { size: -1 }],
      ['a size that is not an integer', { size: 1.5 }],
      ['a zero width', { width: 0 }],
      ['a huge height', { height: 1e9 }],
      ['a duration that is not a number', { durationSeconds: 'long' }],
      ['a thumbnail that is not an image', { thumbnail: { ...attachment({ id: OTHER_ID, mimetype: 'text/html' }) } }],
      ['a thumbnail without dimensions', { thumbnail: { ...attachment({ id: OTHER_ID, width: undefined }) } }],
    ])('refuses an attachment with %s', (_case, overrides) => {
      const input = JSON.parse(JSON.stringify({ type: 'text', body: 'x', attachments: [attachment(overrides)] }));

      expect(parseMessageContent(input)).toBeNull();
    });
  });

  describe('messageContentFromPlain', () => {
    const dto: AttachmentDto = {
      id: ID,
      kind: 'image',
      mimeType: 'image/webp',
      name: 'cat.webp',
      size: 99,
      url: `/api/attachments/${ID}`,
      thumbnailUrl: `/api/attachments/${ID}/thumbnail`,
      width: 10,
      height: 20,
      durationSeconds: null,
      createdAt: '2026-01-01T00:00:00.000Z',
    };

    it('maps a message with attachments and a reply', () => {
      const sut = messageContentFromPlain({ body: 'look', attachments: [dto], relatesTo: OTHER_ID });

      expect(sut).toEqual({
        type: 'text',
        body: 'look',
        inReplyTo: OTHER_ID,
        attachments: [{ plain: true, id: ID, url: dto.url, thumbnailUrl: dto.thumbnailUrl, mimetype: 'image/webp', name: 'cat.webp', size: 99, width: 10, height: 20 }],
      });
    });

    it('maps an attachment-only message without a body', () => {
      expect(messageContentFromPlain({ body: null, attachments: [dto] })).not.toHaveProperty('body');
    });

    it('maps a reaction to its key', () => {
      expect(messageContentFromPlain({ body: '❤️', attachments: [], kind: 'reaction', relatesTo: OTHER_ID })).toEqual({ type: 'reaction', key: '❤️' });
    });
  });

  it('types encrypted attachments as the parser returns them', () => {
    const info = parseMessageContent({ type: 'text', attachments: [attachment()] })!.attachments![0] as EncryptedAttachmentInfo;

    expect(info.hashes.sha256).toBe('h'.repeat(43));
  });
});
