import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { assertStorageKey, type ByteRange, Storage, StorageNotFoundError, type StoredObject } from './storage.js';

/** Files in a directory on this machine: `<root>/originals/<uuid>`, `<root>/thumbnails/<uuid>`. */
export class LocalStorage extends Storage {
  readonly driver = 'local';
  readonly incomingDir: string;
  private readonly root: string;

  constructor(root: string) {
    super();
    this.root = resolve(root);
    this.incomingDir = join(this.root, '.incoming');
  }

  async init(): Promise<void> {
    await Promise.all(['originals', 'thumbnails', '.incoming'].map((dir) => mkdir(join(this.root, dir), { recursive: true })));
    await removeStale(this.incomingDir);
  }

  async putFile(key: string, path: string): Promise<void> {
    // Same file system as the incoming directory, so this is an atomic rename: never a half-written object.
    await rename(path, this.pathOf(key));
  }

  async get(key: string, range?: ByteRange): Promise<StoredObject> {
    const path = this.pathOf(key);
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new StorageNotFoundError(key);
      throw error;
    }
    return { body: createReadStream(path, range ? { start: range.start, end: range.end } : {}), size };
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  async exists(key: string): Promise<boolean> {
    return stat(this.pathOf(key)).then(
      () => true,
      () => false,
    );
  }

  private pathOf(key: string): string {
    assertStorageKey(key);
    return join(this.root, key);
  }
}

/** Uploads in flight for over an hour belong to a process that died mid-upload: remove them at boot. */
export async function removeStale(dir: string, olderThanMs = 3_600_000): Promise<void> {
  const cutoff = Date.now() - olderThanMs;
  for (const name of await readdir(dir)) {
    const path = join(dir, name);
    const { mtimeMs } = await stat(path).catch(() => ({ mtimeMs: Infinity }));
    if (mtimeMs < cutoff) await rm(path, { force: true, recursive: true });
  }
}
