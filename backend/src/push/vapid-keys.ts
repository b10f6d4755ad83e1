import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import webpush from 'web-push';
import type { AppConfig } from '../config/app-config.js';

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
  subject: string;
}

const VAPID_FILE = 'vapid.json';

/**
 * The server's VAPID key pair: from VAPID_PUBLIC_KEY/VAPID_PRIVATE_KEY, or else from DATA_DIR/vapid.json,
 * generated there the first time. The file appears whole or not at all, so instances sharing the
 * directory that start together all end up with the pair the first one wrote.
 */
export function loadVapidKeys(config: AppConfig): VapidKeys {
  const subject = config.VAPID_SUBJECT;
  if (config.VAPID_PUBLIC_KEY && config.VAPID_PRIVATE_KEY) {
    return { publicKey: config.VAPID_PUBLIC_KEY, privateKey: config.VAPID_PRIVATE_KEY, subject };
  }
  const file = join(config.DATA_DIR, VAPID_FILE);
  try {
    return { ...readPair(file), subject };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(config.DATA_DIR, { recursive: true });
  const generated = webpush.generateVAPIDKeys();
  if (!createWhole(file, JSON.stringify(generated))) return { ...readPair(file), subject };
  return { ...generated, subject };
}

/**
 * Creates `file` with `text` (mode 0600) unless it exists; false when it did. Written to a temporary
 * file and linked into place, so nobody ever reads half a key pair (another instance starting, or the
 * next start after a crash mid-write), and the first instance's pair wins (link never replaces).
 */
export function createWhole(file: string, text: string): boolean {
  const temporary = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    writeFileSync(temporary, text, { flag: 'wx', mode: 0o600 });
    linkSync(temporary, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return false;
  } finally {
    rmSync(temporary, { force: true });
  }
}

function readPair(file: string): { publicKey: string; privateKey: string } {
  const { publicKey, privateKey } = JSON.parse(readFileSync(file, 'utf8')) as { publicKey?: unknown; privateKey?: unknown };
  if (typeof publicKey !== 'string' || typeof privateKey !== 'string') throw new Error(`${file} does not hold a VAPID key pair`);
  return { publicKey, privateKey };
}
