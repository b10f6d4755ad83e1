import { jest } from '@jest/globals';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { randomBytes, randomUUID } from 'node:crypto';
import { ReadStream } from 'node:fs';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { LocalStorage } from './local-storage.js';
import { S3Storage, type S3StorageOptions } from './s3-storage.js';
import { type Storage, StorageNotFoundError } from './storage.js';
import { startS3rver } from '../../../test/helpers/s3rver.js';

const BUCKET = 'iris-test';
const MB = 1024 * 1024;

interface Fixture {
  sut: Storage;
  close(): Promise<void>;
}

async function startLocal(): Promise<Fixture> {
  const root = await mkdtemp(join(tmpdir(), 'iris-local-storage-'));
  return { sut: new LocalStorage(root), close: () => rm(root, { recursive: true, force: true }) };
}

/** A real s3rver on a free port, and a storage pointed at it; `bucket` may name one that does not exist. */
async function startS3(bucket = BUCKET): Promise<Fixture & { sut: S3Storage; options: S3StorageOptions }> {
  const server = await startS3rver(BUCKET);
  const options: S3StorageOptions = {
    endpoint: server.endpoint,
    bucket,
    accessKeyId: server.accessKeyId,
    secretAccessKey: server.secretAccessKey,
    region: 'us-east-1',
    forcePathStyle: true,
    incomingDir: join(server.dir, 'incoming'),
  };
  const sut = new S3Storage(options);
  return {
    sut,
    options,
    close: async () => {
      sut.destroy();
      await server.close();
    },
  };
}

const aKey = (prefix = 'originals') => `${prefix}/${randomUUID()}`;

async function isOnDisk(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

const BAD_KEYS = [
  '../x',
  'originals/../../etc/passwd',
  'hello world',
  '',
  'originals/',
  'avatars/0b7e4d5c-2f1a-4c3b-9d8e-7f6a5b4c3d2e',
  'originals/0b7e4d5c-2f1a-4c3b-9d8e-7f6a5b4c3d2e/../x',
  '/originals/0b7e4d5c-2f1a-4c3b-9d8e-7f6a5b4c3d2e',
];

describe.each([
  ['LocalStorage', startLocal],
  ['S3Storage', () => startS3()],
])('%s (storage contract)', (_driver, start) => {
  let fixture: Fixture;
  let sut: Storage;

  /** A file in the incoming directory, as an upload would leave it. */
  async function anUpload(bytes: Buffer): Promise<string> {
    const path = join(sut.incomingDir, randomUUID());
    await writeFile(path, bytes);
    return path;
  }

  async function aStoredObject(bytes: Buffer, key = aKey()): Promise<string> {
    await sut.putFile(key, await anUpload(bytes), 'application/octet-stream');
    return key;
  }

  beforeAll(async () => {
    fixture = await start();
    sut = fixture.sut;
    await sut.init();
  });

  afterAll(async () => {
    await fixture.close();
  });

  describe('putFile', () => {
    it('stores the bytes and consumes the source file', async () => {
      const bytes = randomBytes(4096);
      const source = await anUpload(bytes);
      const key = aKey('thumbnails');

      await sut.putFile(key, source, 'image/webp');

      expect(await isOnDisk(source)).toBe(false);
      const stored = await sut.get(key);
      expect(stored.size).toBe(4096);
      expect((await buffer(stored.body)).equals(bytes)).toBe(true);
    });

    it('stores a 5 MB file intact', async () => {
      const bytes = randomBytes(5 * MB);
      const source = await anUpload(bytes);
      const key = aKey();

      await sut.putFile(key, source, 'video/mp4');

      expect(await isOnDisk(source)).toBe(false);
      const stored = await sut.get(key);
      expect(stored.size).toBe(5 * MB);
      expect((await buffer(stored.body)).equals(bytes)).toBe(true);
    });

    it('stores an empty file', async () => {
      const key = await aStoredObject(Buffer.alloc(0));

      const stored = await sut.get(key);

      expect(stored.size).toBe(0);
      expect((await buffer(stored.body)).length).toBe(0);
    });

    it.each(BAD_KEYS)('refuses the key %j and leaves the source file alone', async (key) => {
      const source = await anUpload(Buffer.from('x'));

      await expect(sut.putFile(key, source, 'text/plain')).rejects.toThrow('Refusing storage key');

      expect(await isOnDisk(source)).toBe(true);
    });
  });

  describe('get', () => {
    const SIZE = MB;
    let bytes: Buffer;
    let key: string;

    beforeAll(async () => {
      bytes = randomBytes(SIZE);
      key = await aStoredObject(bytes);
    });

    it('reads the whole object', async () => {
      const stored = await sut.get(key);

      expect(stored.size).toBe(SIZE);
      expect((await buffer(stored.body)).equals(bytes)).toBe(true);
    });

    it.each([
      ['the first 100 bytes', 0, 99],
      ['a middle range', 300_000, 700_123],
      ['the last byte', SIZE - 1, SIZE - 1],
    ])('reads %s, reporting the size of the whole object', async (_name, start, end) => {
      const stored = await sut.get(key, { start, end });

      const read = await buffer(stored.body);
      expect(read.length).toBe(end - start + 1);
      expect(read.equals(bytes.subarray(start, end + 1))).toBe(true);
      expect(stored.size).toBe(SIZE);
    });

    it('rejects with StorageNotFoundError for a missing key', async () => {
      const missing = aKey();

      const error = await sut.get(missing).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(StorageNotFoundError);
      expect((error as StorageNotFoundError).key).toBe(missing);
    });

    it.each(BAD_KEYS)('refuses the key %j', async (badKey) => {
      await expect(sut.get(badKey)).rejects.toThrow('Refusing storage key');
    });
  });

  describe('delete', () => {
    it('removes the object', async () => {
      const key = await aStoredObject(randomBytes(100));

      await sut.delete(key);

      expect(await sut.exists(key)).toBe(false);
      await expect(sut.get(key)).rejects.toBeInstanceOf(StorageNotFoundError);
    });

    it('succeeds for a key that was never stored', async () => {
      await expect(sut.delete(aKey())).resolves.toBeUndefined();
    });

    it('leaves other objects alone', async () => {
      const kept = await aStoredObject(randomBytes(100));

      await sut.delete(await aStoredObject(randomBytes(100)));

      expect(await sut.exists(kept)).toBe(true);
    });

    it.each(BAD_KEYS)('refuses the key %j', async (badKey) => {
      await expect(sut.delete(badKey)).rejects.toThrow('Refusing storage key');
    });
  });

  describe('exists', () => {
    it('is true for a stored object', async () => {
      expect(await sut.exists(await aStoredObject(randomBytes(10)))).toBe(true);
    });

    it('is false for a key that was never stored', async () => {
      expect(await sut.exists(aKey())).toBe(false);
    });

    it.each(BAD_KEYS)('refuses the key %j', async (badKey) => {
      await expect(sut.exists(badKey)).rejects.toThrow('Refusing storage key');
    });
  });
});

describe('S3Storage', () => {
  let fixture: Awaited<ReturnType<typeof startS3>>;
  let sut: S3Storage;

  beforeAll(async () => {
    fixture = await startS3();
    sut = fixture.sut;
    await sut.init();
  });

  afterAll(async () => {
    await fixture.close();
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  async function anUpload(bytes: Buffer): Promise<string> {
    const path = join(sut.incomingDir, randomUUID());
    await writeFile(path, bytes);
    return path;
  }

  describe('init', () => {
    it('creates the incoming directory', async () => {
      expect(await isOnDisk(sut.incomingDir)).toBe(true);
    });

    it('fails, naming the endpoint and the bucket, when the bucket does not exist', async () => {
      const other = new S3Storage({ ...fixture.options, bucket: 'no-such-bucket' });
      try {
        const error = (await other.init().catch((e: unknown) => e)) as Error;

        expect(error).toBeInstanceOf(Error);
        expect(error.message).toContain('"no-such-bucket"');
        expect(error.message).toContain(fixture.options.endpoint);
        expect(error.message).toContain('does not exist');
      } finally {
        other.destroy();
      }
    });
  });

  describe('putFile', () => {
    it('streams the file from disk with its length rather than reading it into memory', async () => {
      const send = jest.spyOn(S3Client.prototype, 'send');
      const source = await anUpload(randomBytes(5 * MB));

      await sut.putFile(aKey(), source, 'video/mp4');

      const command = send.mock.calls.map(([sent]) => sent).find((sent) => sent instanceof PutObjectCommand);
      expect(command).toBeInstanceOf(PutObjectCommand);
      const input = (command as PutObjectCommand).input;
      expect(input.Body).toBeInstanceOf(ReadStream);
      expect((input.Body as ReadStream).path).toBe(source);
      expect(input.ContentLength).toBe(5 * MB);
      expect(input.ContentType).toBe('video/mp4');
    });

    it('removes the source file and rethrows when the upload fails', async () => {
      // The SDK warns on the console that it will not retry a request with a streamed body.
      const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
      const other = new S3Storage({ ...fixture.options, bucket: 'no-such-bucket' });
      const source = await anUpload(randomBytes(1000));
      try {
        const error = (await other.putFile(aKey(), source, 'image/png').catch((e: unknown) => e)) as Error;

        expect(error.name).toBe('NoSuchBucket');
        expect(await isOnDisk(source)).toBe(false);
        expect(warn).toHaveBeenCalledWith('An error was encountered in a non-retryable streaming request.');
      } finally {
        other.destroy();
      }
    });
  });
});
