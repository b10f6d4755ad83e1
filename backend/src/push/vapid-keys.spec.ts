import { jest } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import type * as Fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppConfig } from '../config/app-config.js';

// A full disk: the write stores the first bytes, then fails, as writeFileSync does on ENOSPC.
let diskFull = false;
const realFs = await import('node:fs');
jest.unstable_mockModule('node:fs', () => ({
  ...realFs,
  writeFileSync: (file: Fs.PathOrFileDescriptor, data: string, options?: Fs.WriteFileOptions) => {
    if (!diskFull) return realFs.writeFileSync(file, data, options);
    realFs.writeFileSync(file, data.slice(0, 10), options);
    throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
  },
}));
const { loadVapidKeys } = await import('./vapid-keys.js');

describe('loadVapidKeys', () => {
  let dir: string;
  let config: AppConfig;

  beforeEach(() => {
    diskFull = false;
    dir = mkdtempSync(join(tmpdir(), 'iris-vapid-'));
    config = Object.assign(new AppConfig(), { DATA_DIR: dir, VAPID_PUBLIC_KEY: undefined, VAPID_PRIVATE_KEY: undefined });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('generates the pair once into a file only its owner reads, and leaves nothing else behind', () => {
    const first = loadVapidKeys(config);
    expect(loadVapidKeys(config)).toEqual(first);
    expect(readdirSync(dir)).toEqual(['vapid.json']);
    expect(statSync(join(dir, 'vapid.json')).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(join(dir, 'vapid.json'), 'utf8'))).toEqual({ publicKey: first.publicKey, privateKey: first.privateKey });
  });

  it('never leaves half a key pair in vapid.json when the write fails, so the next start works', () => {
    diskFull = true;
    expect(() => loadVapidKeys(config)).toThrow('ENOSPC');
    diskFull = false;

    const keys = loadVapidKeys(config);

    expect(keys.publicKey).toMatch(/^[A-Za-z0-9_-]{87}$/);
    expect(JSON.parse(readFileSync(join(dir, 'vapid.json'), 'utf8')).publicKey).toBe(keys.publicKey);
    expect(readdirSync(dir)).toEqual(['vapid.json']);
  });
});
