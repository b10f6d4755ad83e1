import type { Readable } from 'node:stream';

/** A byte range, both ends inclusive, as in an HTTP `Range: bytes=start-end` header. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface StoredObject {
  /** The bytes asked for (the whole object, or the range). */
  body: Readable;
  /** Size of the whole object. */
  size: number;
}

/**
 * Where attachment files and thumbnails live. Keys are made by the server (never from user input)
 * and look like `originals/<uuid>`. Implementations: a local directory and S3-compatible storage.
 */
export abstract class Storage {
  /** Human-readable name for logs and the health of the deployment ("local", "s3"). */
  abstract readonly driver: string;

  /**
   * A directory on local disk for incoming uploads before they are stored. Local storage uses one
   * inside its own root so that `putFile` is a rename.
   */
  abstract readonly incomingDir: string;

  /** Stores the file at `path` under `key`, consuming it: afterwards `path` no longer exists. */
  abstract putFile(key: string, path: string, contentType: string): Promise<void>;

  /** Reads an object, or a range of it; rejects with StorageNotFoundError when the key is absent. */
  abstract get(key: string, range?: ByteRange): Promise<StoredObject>;

  /** Deletes an object; deleting a key that does not exist succeeds. */
  abstract delete(key: string): Promise<void>;

  /** Whether the key exists (tests and diagnostics). */
  abstract exists(key: string): Promise<boolean>;

  /** Makes sure the storage is usable (creates directories; checks the bucket). Called at boot. */
  abstract init(): Promise<void>;

  /** Releases connections at shutdown. */
  async close(): Promise<void> {}
}

export class StorageNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`No stored object ${key}`);
  }
}

/** Server-generated keys only: a fixed prefix and a UUID. Refuses anything else. */
export const STORAGE_KEY = /^(originals|thumbnails)\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function assertStorageKey(key: string): void {
  if (!STORAGE_KEY.test(key)) throw new Error(`Refusing storage key ${JSON.stringify(key)}`);
}
