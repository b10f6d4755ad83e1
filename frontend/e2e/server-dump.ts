// Everything the e2e server holds, for specs that prove what it does not: the scratch database, its
// Redis database, every stored file and its log. e2e/run.mjs passes where they are in the environment.
import { expect } from '@playwright/test';
import { Redis } from 'ioredis';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';

export interface StoredFile {
  /** Relative to the upload directory, e.g. `originals/<uuid>`. */
  path: string;
  size: number;
  /** The first 64 KiB: enough for a signature and for a JPEG's EXIF segment (at most 64 KiB). */
  head: Buffer;
  /** The whole file (uploads in the specs are small). */
  content: Buffer;
}

export interface ServerState {
  /** `pg_dump --data-only` of the scratch database: COPY blocks, text as stored, bytea as hex. */
  database: string;
  /** Every key of the run's Redis database with its type, time to live and whole value. */
  redis: string;
  /** Every file under the upload directory, recursively (hidden ones such as `.incoming/` too). */
  files: StoredFile[];
  /** Everything the server wrote to stdout and stderr, at LOG_LEVEL=trace. */
  log: string;
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the specs through \`npm run e2e\` (e2e/run.mjs)`);
  return value;
}

const HEAD_BYTES = 64 * 1024;

/** What the server holds right now. Call it once the exchange under test has been answered. */
export async function dumpServerState(): Promise<ServerState> {
  const log = await logUpToNow();
  const [database, redis] = await Promise.all([dumpDatabase(), dumpRedis()]);
  return { database, redis, files: listFiles(required('E2E_UPLOAD_DIR')), log };
}

/**
 * The log up to a marker request: lines reach the file through a pipe, so a request answered a moment
 * ago may not be in it yet; the marker (a request id the server logs) comes after all of them.
 */
async function logUpToNow(): Promise<string> {
  const path = required('E2E_SERVER_LOG');
  const marker = `dump-marker-${randomBytes(8).toString('hex')}`;
  const response = await fetch(new URL('/api/health', required('BASE_URL')), { headers: { 'x-request-id': marker } });
  expect(response.ok, 'the server answers /api/health').toBe(true);
  let log = '';
  await expect
    .poll(() => {
      log = readFileSync(path, 'utf8');
      return log.includes(marker);
    }, { message: `the server logged the marker request ${marker}`, timeout: 5_000 })
    .toBe(true);
  return log;
}

async function dumpDatabase(): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.env['PG_DUMP'] ?? 'pg_dump',
    ['--data-only', '--no-owner', '--no-privileges', '--dbname', required('E2E_DATABASE_URL')],
    { maxBuffer: 512 * 1024 * 1024, encoding: 'utf8' },
  );
  return stdout;
}

async function dumpRedis(): Promise<string> {
  const redis = new Redis(required('E2E_REDIS_URL'), { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    const keys: Buffer[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scanBuffer(cursor, 'COUNT', 1000);
      keys.push(...batch);
      cursor = String(next);
    } while (cursor !== '0');
    const entries: string[] = [];
    for (const key of keys.sort(Buffer.compare)) {
      const type = await redis.type(key);
      const ttl = await redis.pttl(key);
      entries.push(`${key.toString('utf8')} (${type}${ttl >= 0 ? `, expires in ${ttl} ms` : ''})\n${await redisValue(redis, key, type)}`);
    }
    return entries.join('\n');
  } finally {
    await redis.quit();
  }
}

/** One line per element; values are decoded as UTF-8 (an ASCII needle survives any binary around it). */
async function redisValue(redis: Redis, key: Buffer, type: string): Promise<string> {
  const text = (values: Buffer[]) => values.map((value) => `  ${value.toString('utf8')}`).join('\n');
  switch (type) {
    case 'string':
      return text([(await redis.getBuffer(key)) ?? Buffer.alloc(0)]);
    case 'hash':
      return Object.entries(await redis.hgetallBuffer(key))
        .map(([field, value]) => `  ${field}: ${value.toString('utf8')}`)
        .join('\n');
    case 'list':
      return text(await redis.lrangeBuffer(key, 0, -1));
    case 'set':
      return text(await redis.smembersBuffer(key));
    case 'zset':
      return text(await redis.zrangeBuffer(key, 0, -1, 'WITHSCORES'));
    case 'stream':
      return (await redis.xrangeBuffer(key, '-', '+'))
        .map(([id, fields]) => `  ${id.toString('utf8')}: ${fields.map((field) => field.toString('utf8')).join(' ')}`)
        .join('\n');
    case 'none':
      return '  (gone while dumping)';
    default:
      // A module's type (JSON, …): its serialized form still carries its strings.
      return text([(await redis.dumpBuffer(key)) ?? Buffer.alloc(0)]);
  }
}

/**
 * Records every message published on the run's channels (the Socket.IO broadcasts between instances)
 * until `stop()`, which returns them, a channel line and a message line each (calling it again returns
 * the same). Redis keeps none of them, so `dumpServerState` cannot see them: start this before the
 * exchange under test.
 */
export async function recordRedisTraffic(): Promise<{ stop: () => Promise<string> }> {
  const redis = new Redis(required('E2E_REDIS_URL'), { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  const messages: string[] = [];
  redis.on('pmessageBuffer', (_pattern: Buffer, channel: Buffer, message: Buffer) => {
    messages.push(`${channel.toString('utf8')}\n  ${message.toString('utf8')}`);
  });
  // Channels belong to the whole server, not to a database: the run's key prefix picks its own.
  await redis.psubscribe(`${required('E2E_REDIS_KEY_PREFIX')}*`);
  let stopped: Promise<string> | undefined;
  return { stop: () => (stopped ??= redis.quit().then(() => messages.join('\n'))) };
}

function listFiles(root: string, dir = root): StoredFile[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return listFiles(root, path);
    if (!entry.isFile()) return [];
    const content = readFileSync(path);
    return [{ path: relative(root, path), size: content.length, head: content.subarray(0, HEAD_BYTES), content }];
  });
}

function base64Slices(bytes: Buffer): string[] {
  // The needle may start at any of the three byte offsets of a base64 group; keep only the
  // characters that depend on its bytes alone, for each offset.
  return [0, 1, 2].map((offset) => {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    return encoded.slice(Math.ceil((offset * 8) / 6), Math.floor(((offset + bytes.length) * 8) / 6));
  });
}

/**
 * The byte forms `needle` takes in the encodings a careless server might store or log it in:
 * - UTF-8, as a text column, a log line or a Redis string holds it;
 * - URL-encoded (%XX, and + for spaces as in forms), as an access log records a query string;
 * - JSON-escaped (\n, \", and \uXXXX for non-ASCII as some serializers do), as in a jsonb column or
 *   a JSON log line;
 * - COPY-escaped (\\, \n, \r, \t), as pg_dump writes a text column;
 * - UTF-16LE, as a Windows-born or JavaScript-string-dumping tool writes it;
 * - base64 (standard and URL alphabets, at the three offsets a needle can sit at inside a longer
 *   encoded value), as in a data: URL or an encoded blob;
 * - hex, as pg_dump writes a bytea column.
 * Forms that come out the same are counted once: a needle of ASCII letters, digits and hyphens
 * (`plaintext-canary-<hex>`, the best kind) is the same in every escaped form, UTF-8 included.
 */
export function needleForms(needle: string): Record<string, Buffer> {
  const utf8 = Buffer.from(needle, 'utf8');
  const base64 = base64Slices(utf8);
  const forms: Record<string, string | Buffer> = {
    utf8,
    url: encodeURIComponent(needle),
    form: encodeURIComponent(needle).replace(/%20/g, '+'),
    json: JSON.stringify(needle).slice(1, -1),
    jsonAscii: JSON.stringify(needle)
      .slice(1, -1)
      .replace(/[\u0080-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`),
    pgCopy: needle.replace(/[\\\n\r\t]/g, (char) => ({ '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' })[char] ?? char),
    utf16le: Buffer.from(needle, 'utf16le'),
    hex: utf8.toString('hex'),
    ...Object.fromEntries(base64.map((slice, offset) => [`base64@${offset}`, slice])),
    ...Object.fromEntries(base64.map((slice, offset) => [`base64url@${offset}`, slice.replace(/\+/g, '-').replace(/\//g, '_')])),
  };
  const seen = new Set<string>();
  const unique: Record<string, Buffer> = {};
  for (const [name, form] of Object.entries(forms)) {
    const bytes = Buffer.isBuffer(form) ? form : Buffer.from(form, 'utf8');
    if (bytes.length === 0 || seen.has(bytes.toString('hex'))) continue;
    seen.add(bytes.toString('hex'));
    unique[name] = bytes;
  }
  return unique;
}

function count(haystack: Buffer, needle: Buffer): number {
  let found = 0;
  for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + needle.length)) found++;
  return found;
}

/** How often each form of `needle` (see `needleForms`) occurs in `haystack`; forms never found are left out. */
export function occurrencesByEncoding(haystack: string | Buffer, needle: string): Record<string, number> {
  const bytes = Buffer.isBuffer(haystack) ? haystack : Buffer.from(haystack, 'utf8');
  const found: Record<string, number> = {};
  for (const [name, form] of Object.entries(needleForms(needle))) {
    const n = count(bytes, form);
    if (n > 0) found[name] = n;
  }
  return found;
}

/** How often `needle` occurs in `haystack`, in any of the forms of `needleForms`. */
export function occurrences(haystack: string | Buffer, needle: string): number {
  return Object.values(occurrencesByEncoding(haystack, needle)).reduce((sum, n) => sum + n, 0);
}

/** The names of the media formats whose signature `head` starts with (at most one). */
export function mediaSignature(head: Buffer): 'jpeg' | 'png' | 'gif' | 'webp' | 'mp4' | null {
  const starts = (bytes: number[], at = 0) => head.length >= at + bytes.length && bytes.every((byte, i) => head[at + i] === byte);
  const ascii = (text: string, at: number) => head.length >= at + text.length && head.toString('latin1', at, at + text.length) === text;
  if (starts([0xff, 0xd8, 0xff])) return 'jpeg';
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (ascii('GIF87a', 0) || ascii('GIF89a', 0)) return 'gif';
  if (ascii('RIFF', 0) && ascii('WEBP', 8)) return 'webp';
  // ISO base media (MP4, MOV, 3GP, HEIC…): the first box is `ftyp`, its type at offset 4.
  if (ascii('ftyp', 4)) return 'mp4';
  return null;
}

/** The stored files that are plainly images or videos: what an encrypting client must never leave. */
export function mediaSignatureFiles(files: StoredFile[]): (StoredFile & { format: NonNullable<ReturnType<typeof mediaSignature>> })[] {
  return files.flatMap((file) => {
    const format = mediaSignature(file.head);
    return format ? [{ ...file, format }] : [];
  });
}
