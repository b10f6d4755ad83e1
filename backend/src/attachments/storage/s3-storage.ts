import {
  DeleteObjectCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { createReadStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { removeStale } from './local-storage.js';
import { assertStorageKey, type ByteRange, Storage, StorageNotFoundError, type StoredObject } from './storage.js';

export interface S3StorageOptions {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** Path-style addressing (http://host/bucket/key), which MinIO and s3rver need. */
  forcePathStyle: boolean;
  /** Local directory where uploads wait before they are sent; defaults to `<os tmp>/iris-incoming`. */
  incomingDir?: string;
  /**
   * Milliseconds a request may go without any answer (the socket idles) before it fails; a download
   * that keeps streaming never times out. Default 15 s. Connecting has 5 s.
   */
  requestTimeoutMs?: number;
}

/** Objects in an S3-compatible bucket (AWS S3, MinIO, …), under the same keys as local storage. */
export class S3Storage extends Storage {
  readonly driver = 's3';
  readonly incomingDir: string;
  private readonly endpoint: string;
  private readonly bucket: string;
  private readonly client: S3Client;

  constructor(options: S3StorageOptions) {
    super();
    this.endpoint = options.endpoint;
    this.bucket = options.bucket;
    this.incomingDir = options.incomingDir ?? join(tmpdir(), 'iris-incoming');
    this.client = new S3Client({
      endpoint: options.endpoint,
      region: options.region,
      credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
      forcePathStyle: options.forcePathStyle,
      // By default the SDK sends a streamed body as aws-chunked with a trailing CRC32, which some
      // S3-compatible servers (s3rver among them) store verbatim, chunk framing and all.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // Without these, a server that accepts the connection and never answers holds a request forever.
      requestHandler: { connectionTimeout: 5_000, requestTimeout: options.requestTimeoutMs ?? 15_000, throwOnRequestTimeout: true },
    });
  }

  async init(): Promise<void> {
    await mkdir(this.incomingDir, { recursive: true });
    await removeStale(this.incomingDir);
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      throw new Error(`S3 bucket "${this.bucket}" at ${this.endpoint} is not usable: ${describeFailure(error)}`, {
        cause: error,
      });
    }
  }

  async putFile(key: string, path: string, contentType: string): Promise<void> {
    assertStorageKey(key);
    try {
      const { size } = await stat(path);
      const body = createReadStream(path);
      // The SDK pipes the body without listening for its errors: a failed read would crash the process
      // (unhandled 'error' event) and leave the request waiting for bytes, so abort the request instead.
      const abort = new AbortController();
      let readError: unknown;
      body.on('error', (error) => {
        readError = error;
        abort.abort();
      });
      try {
        await this.client.send(
          new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentLength: size, ContentType: contentType }),
          { abortSignal: abort.signal },
        );
      } catch (error) {
        throw readError ?? error;
      } finally {
        body.destroy();
      }
    } finally {
      await rm(path, { force: true });
    }
  }

  async get(key: string, range?: ByteRange): Promise<StoredObject> {
    assertStorageKey(key);
    let response: GetObjectCommandOutput;
    try {
      response = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: range && `bytes=${range.start}-${range.end}` }),
      );
    } catch (error) {
      if (isNotFound(error)) throw new StorageNotFoundError(key);
      throw error;
    }
    const body = response.Body;
    if (!(body instanceof Readable)) throw new Error(`S3 returned no readable body for ${key}`);
    const size = range ? totalSize(response.ContentRange) : response.ContentLength;
    if (size === undefined) {
      body.destroy();
      throw new Error(`S3 did not report the size of ${key} (Content-Range ${String(response.ContentRange)})`);
    }
    return { body, size };
  }

  async delete(key: string): Promise<void> {
    assertStorageKey(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      // S3 itself answers 204 for a missing key; some compatible servers answer 404.
      if (!isNotFound(error)) throw error;
    }
  }

  async exists(key: string): Promise<boolean> {
    assertStorageKey(key);
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  /** Closes the client's sockets (app shutdown, tests). */
  destroy(): void {
    this.client.destroy();
  }

  override async close(): Promise<void> {
    this.destroy();
  }
}

interface SdkError {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

/** A missing key, but not a missing bucket: that is a misconfiguration, not an absent object. */
function isNotFound(error: unknown): boolean {
  const { name, $metadata } = error as SdkError;
  if (name === 'NoSuchKey' || name === 'NotFound') return true;
  return $metadata?.httpStatusCode === 404 && name !== 'NoSuchBucket';
}

/** The total in `bytes 0-99/1048576`; undefined when absent or unknown (`*`). */
function totalSize(contentRange: string | undefined): number | undefined {
  const match = /^bytes \d+-\d+\/(\d+)$/.exec(contentRange ?? '');
  return match ? Number(match[1]) : undefined;
}

function describeFailure(error: unknown): string {
  const { name, message, $metadata } = error as SdkError;
  const status = $metadata?.httpStatusCode;
  // HEAD responses carry no body, so the SDK has no error message to offer beyond the status.
  if (status === 404) return 'the bucket does not exist (HTTP 404); create it first';
  if (status === 403) return 'access denied (HTTP 403); check S3_ACCESS_KEY, S3_SECRET_KEY and the bucket policy';
  if (status !== undefined) return `HTTP ${status} ${name ?? ''}`.trim();
  return message ?? String(error);
}
