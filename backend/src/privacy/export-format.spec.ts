import { attachmentEntryName, exportFileName, jsonDocument, zipSafeName } from './export-format.js';

async function collect(chunks: AsyncIterable<string>): Promise<string> {
  let text = '';
  for await (const chunk of chunks) text += chunk;
  return text;
}

async function* from<T>(items: T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}

describe('export format', () => {
  describe('jsonDocument', () => {
    const head = {
      id: 'c1',
      peer: { id: 'u2', username: 'bob', displayName: 'Bob "B" \\ Builder' },
      nothing: null,
      when: new Date('2030-01-01T00:00:00Z'),
    };

    it.each([
      ['no items', []],
      ['one item', [{ body: 'hello' }]],
      [
        'several items with nested values and escapes',
        [{ body: 'line 1\nline 2', attachments: [{ name: 'a"b.txt' }] }, { body: null, deleted: true }, { body: '{ "not": "json" }' }],
      ],
    ])('writes the same JSON as stringifying the whole object, with %s', async (_, items: object[]) => {
      const text = await collect(jsonDocument(head, 'messages', from(items)));

      expect(text).toBe(`${JSON.stringify({ ...head, messages: items }, null, 2)}\n`);
    });

    it('works with an empty head', async () => {
      const text = await collect(jsonDocument({}, 'items', from([1, 2])));

      expect(JSON.parse(text)).toEqual({ items: [1, 2] });
    });

    it('reads the items only as far as it is consumed', async () => {
      let produced = 0;
      async function* counting() {
        for (let i = 0; i < 1000; i++) {
          produced++;
          yield { i };
        }
      }
      const sut = jsonDocument({ id: 'x' }, 'items', counting());

      await sut.next();
      await sut.next();
      await sut.next();

      expect(produced).toBe(1);
    });
  });

  describe('zipSafeName', () => {
    it('keeps an ordinary or non-Latin name as it is', () => {
      expect(zipSafeName('holiday.jpg')).toBe('holiday.jpg');
      expect(zipSafeName('Résumé – 履歴書.txt')).toBe('Résumé – 履歴書.txt');
    });

    it('never leaves a path separator or a character Windows refuses', () => {
      expect(zipSafeName('../../etc/passwd')).toBe('_.._etc_passwd');
      expect(zipSafeName('a\\b:c*d?e"f<g>h|i')).toBe('a_b_c_d_e_f_g_h_i');
    });

    it('removes control and bidi characters, and leading or trailing dots and spaces', () => {
      expect(zipSafeName(' invoice\u202Efdp.exe\u0007. ')).toBe('invoicefdp.exe');
      expect(zipSafeName('..')).toBe('file');
      expect(zipSafeName('')).toBe('file');
    });

    it('shortens to at most 200 bytes of UTF-8 on whole characters, keeping the extension', () => {
      const ascii = zipSafeName(`${'a'.repeat(300)}.txt`);
      expect(Buffer.byteLength(ascii)).toBe(200);
      expect(ascii.endsWith('a.txt')).toBe(true);

      const wide = zipSafeName(`${'履'.repeat(199)}.pdf`);
      expect(Buffer.byteLength(wide)).toBeLessThanOrEqual(200);
      expect(wide).toBe(`${'履'.repeat(65)}.pdf`);

      const emoji = zipSafeName('😀'.repeat(100));
      expect(Buffer.byteLength(emoji)).toBe(200);
      expect([...emoji].every((character) => character === '😀')).toBe(true);
    });
  });

  describe('attachmentEntryName', () => {
    it('puts the id first so that equal names never collide', () => {
      expect(attachmentEntryName('0b7e4d5c-2f1a-4c3b-9d8e-7f6a5b4c3d2e', 'a/b.png')).toBe('attachments/0b7e4d5c-2f1a-4c3b-9d8e-7f6a5b4c3d2e-a_b.png');
    });
  });

  describe('exportFileName', () => {
    it('names the user and the UTC date', () => {
      expect(exportFileName('alice', new Date('2030-01-31T23:59:59Z'))).toBe('iris-export-alice-2030-01-31.zip');
    });
  });
});
