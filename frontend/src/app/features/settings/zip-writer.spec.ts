import { readZip } from './zip.fixtures';
import { crc32, ZipLimitError, ZipWriter } from './zip-writer';

async function bytesOf(blob: Blob): Promise<Uint8Array> {
  return new Uint8Array(await blob.arrayBuffer());
}

describe('crc32', () => {
  it('gives the check value of the CRC-32 catalogue', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('is 0 for nothing and continues over chunks', () => {
    const all = new TextEncoder().encode('The quick brown fox jumps over the lazy dog');
    expect(crc32(new Uint8Array())).toBe(0);
    expect(crc32(all)).toBe(0x414fa339);
    expect(crc32(all.subarray(10), crc32(all.subarray(0, 10)))).toBe(0x414fa339);
  });
});

describe('ZipWriter', () => {
  const modified = new Date(2026, 11, 6, 8, 30, 14);

  describe('add and finish', () => {
    it('writes local headers, the central directory and the end record at the right offsets', async () => {
      const sut = new ZipWriter(modified);
      await sut.add('README.txt', '123456789');
      await sut.add('files/a.bin', new Uint8Array([1, 2, 3]));
      const bytes = await bytesOf(sut.finish());

      // README: 30-byte header + 10-byte name + 9 bytes; a.bin: 30 + 11 + 3.
      expect(bytes.length).toBe(49 + 44 + (46 + 10) + (46 + 11) + 22);
      const entries = readZip(bytes);
      expect(entries.map(({ name, offset, size, method }) => ({ name, offset, size, method }))).toEqual([
        { name: 'README.txt', offset: 0, size: 9, method: 0 },
        { name: 'files/a.bin', offset: 49, size: 3, method: 0 },
      ]);
      expect(entries[0].crc).toBe(0xcbf43926);
      expect(new TextDecoder().decode(entries[0].data)).toBe('123456789');
      expect([...entries[1].data]).toEqual([1, 2, 3]);
      expect(entries[1].crc).toBe(crc32(new Uint8Array([1, 2, 3])));
      const end = new DataView(bytes.buffer, bytes.length - 22);
      expect(end.getUint32(16, true)).toBe(93);
    });

    it('says it was made on Unix with rw-r--r-- files, so unzippers keep names and permissions', async () => {
      const sut = new ZipWriter(modified);
      await sut.add('a.txt', 'x');
      const bytes = await bytesOf(sut.finish());
      const central = new DataView(bytes.buffer, 31 + 5);
      expect(central.getUint32(0, true)).toBe(0x02014b50);
      expect(central.getUint16(4, true) >> 8).toBe(3);
      expect(central.getUint32(38, true) >>> 16).toBe(0o100644);
    });

    it('marks names as UTF-8 and keeps them byte for byte', async () => {
      const sut = new ZipWriter(modified);
      await sut.add('files/1-Ünïcødé 🎉.txt', 'x');
      const [entry] = readZip(await bytesOf(sut.finish()));
      expect(entry.flags & 0x0800).toBe(0x0800);
      expect(entry.name).toBe('files/1-Ünïcødé 🎉.txt');
    });

    it('takes a Blob as it is, with the CRC of its contents', async () => {
      const data = new Uint8Array(10_000).map((_, i) => (i * 7) & 0xff);
      const sut = new ZipWriter(modified);
      await sut.add('files/big.bin', new Blob([data]));
      const [entry] = readZip(await bytesOf(sut.finish()));
      expect(entry.crc).toBe(crc32(data));
      expect(entry.data).toEqual(data);
    });

    it('writes the modification time as a DOS time and date', async () => {
      const sut = new ZipWriter(modified);
      await sut.add('a.txt', '');
      const bytes = await bytesOf(sut.finish());
      const view = new DataView(bytes.buffer);
      expect(view.getUint16(10, true)).toBe((8 << 11) | (30 << 5) | 7);
      expect(view.getUint16(12, true)).toBe(((2026 - 1980) << 9) | (12 << 5) | 6);
    });

    it('is an empty archive with no entries', async () => {
      const bytes = await bytesOf(new ZipWriter(modified).finish());
      expect(bytes.length).toBe(22);
      expect(readZip(bytes)).toEqual([]);
    });

    it('refuses a second entry with the same name', async () => {
      const sut = new ZipWriter(modified);
      await sut.add('a.txt', 'one');
      await expect(sut.add('a.txt', 'two')).rejects.toThrow(/already has an entry/);
    });

    it('refuses what would pass 4 GiB, before reading it', async () => {
      const sut = new ZipWriter(modified);
      const huge = { size: 2 ** 32 } as Blob;
      Object.setPrototypeOf(huge, Blob.prototype);
      await expect(sut.add('files/huge.bin', huge)).rejects.toBeInstanceOf(ZipLimitError);
    });
  });

  describe('with unzip', () => {
    it('makes an archive that Info-ZIP tests and extracts', async () => {
      const node = (specifier: string) => import(/* @vite-ignore */ specifier) as Promise<Record<string, (...args: unknown[]) => unknown>>;
      const { execFileSync } = await node('node:child_process');
      const fs = await node('node:fs');
      const os = await node('node:os');
      const path = await node('node:path');
      let unzip: string;
      try {
        unzip = String(execFileSync('sh', ['-c', 'command -v unzip'])).trim();
      } catch {
        return; // No unzip here: the byte-level specs above still read the archive back.
      }
      const sut = new ZipWriter(modified);
      await sut.add('README.txt', 'Hello\n');
      await sut.add('conversations/c1.json', JSON.stringify({ body: 'Grüße 👋' }));
      await sut.add('files/m1-1-Ünïcødé.bin', new Blob([new Uint8Array([0, 255, 7])]));
      const dir = String(fs['mkdtempSync'](path['join'](String(os['tmpdir']()), 'iris-zip-')));
      const file = path['join'](dir, 'test.zip') as string;
      fs['writeFileSync'](file, await bytesOf(sut.finish()));

      const run = (...args: string[]) => String(execFileSync(unzip, args, { env: { PATH: '/usr/bin:/bin', LC_ALL: 'C.UTF-8' } }));
      expect(run('-t', file)).toMatch(/No errors detected/);
      expect(JSON.parse(run('-p', file, 'conversations/c1.json'))).toEqual({ body: 'Grüße 👋' });
      const listing = run('-Z1', file);
      expect(listing.trim().split('\n')).toEqual(['README.txt', 'conversations/c1.json', 'files/m1-1-Ünïcødé.bin']);
      fs['rmSync'](dir, { recursive: true, force: true });
    });
  });
});
