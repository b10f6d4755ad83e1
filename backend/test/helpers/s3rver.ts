import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// s3rver is CommonJS and ships no types: load it with require() and describe the little we use.
interface S3rver {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: {
  address: string;
  port: number;
  directory: string;
  silent: boolean;
  configureBuckets: { name: string }[];
}) => S3rver;
const S3rver = createRequire(import.meta.url)('s3rver') as S3rverConstructor;

export interface RunningS3 {
  endpoint: string;
  bucket: string;
  /** s3rver accepts any credentials; these are its documented defaults. */
  accessKeyId: string;
  secretAccessKey: string;
  /** A scratch directory next to the server's, removed on close. */
  dir: string;
  close(): Promise<void>;
}

/** A real S3-compatible server (s3rver) on a free port of 127.0.0.1, with one bucket. */
export async function startS3rver(bucket = 'iris-test'): Promise<RunningS3> {
  const dir = await mkdtemp(join(tmpdir(), 'iris-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, directory: join(dir, 'server'), silent: true, configureBuckets: [{ name: bucket }] });
  const { port } = await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    dir,
    close: async () => {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
