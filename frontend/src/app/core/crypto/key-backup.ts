import type { CryptoInternals } from './crypto-service';
import { decodeRecoveryKey, encodeRecoveryKey, fromBase64, RecoveryKeyError, toBase64 } from './recovery-key';

/** The private cross-signing keys as they travel inside the backup's description, sealed with the recovery key. */
interface CrossSigningSecrets {
  master?: string;
  selfSigning?: string;
  userSigning?: string;
}

export interface RestoreResult {
  /** Room keys imported from the backup. */
  imported: number;
  /** This device signed itself with the restored cross-signing keys. */
  verified: boolean;
}

/**
 * Starts a new key backup: a fresh backup key, its public half (and the private cross-signing keys,
 * sealed with it) sent to the server, everything this device holds uploaded. Answers the recovery
 * key, which only the user keeps.
 */
export async function setUpKeyBackup(c: CryptoInternals): Promise<string> {
  const { machine, transport, wasm } = c;
  if (!transport.backupCreate) throw new Error('This server has no key backup');
  const key = wasm.BackupDecryptionKey.createRandomKey();
  const raw = fromBase64(key.toBase64());
  const exported = await machine.exportCrossSigningKeys();
  const secrets: CrossSigningSecrets = { master: exported?.masterKey, selfSigning: exported?.self_signing_key, userSigning: exported?.userSigningKey };
  const publicKey = key.megolmV1PublicKey.publicKeyBase64;
  const { version } = await transport.backupCreate({
    algorithm: key.megolmV1PublicKey.algorithm,
    auth_data: { public_key: publicKey, ...(secrets.master ? { iris_cross_signing: await seal(raw, secrets) } : {}) },
  });
  await machine.saveBackupDecryptionKey(key, version);
  await machine.enableBackupV1(publicKey, version);
  await backUpRoomKeys(c);
  return encodeRecoveryKey(raw);
}

/** Uploads every room key the backup lacks (no-op without a backup on this device). */
export async function backUpRoomKeys(c: CryptoInternals): Promise<void> {
  if (!(await c.machine.isBackupEnabled())) return;
  for (let request = await c.machine.backupRoomKeys(); request; request = await c.machine.backupRoomKeys()) await c.send(request);
}

/**
 * With the recovery key: imports every room key of the current backup (history from before this
 * device), keeps backing up to it, and with the sealed cross-signing keys signs this device.
 */
export async function restoreKeyBackup(c: CryptoInternals, recoveryKey: string): Promise<RestoreResult> {
  const { machine, transport, wasm } = c;
  if (!transport.backupCurrent || !transport.backupGet) throw new Error('This server has no key backup');
  const raw = decodeRecoveryKey(recoveryKey);
  const backup = await transport.backupCurrent();
  if (!backup) throw new RecoveryKeyError('There is no key backup to restore: set one up on a device that has your history.');
  const key = wasm.BackupDecryptionKey.fromBase64(toBase64(raw));
  if (key.megolmV1PublicKey.publicKeyBase64 !== backup.auth_data.public_key) throw new RecoveryKeyError('That recovery key belongs to another backup.');
  // A page at a time, each imported before the next is read, so a large backup never sits in memory whole.
  let imported = 0;
  let from: string | undefined;
  do {
    const page = await transport.backupGet(backup.version, from);
    const keys = new Map<InstanceType<typeof wasm.RoomId>, Map<string, unknown>>();
    for (const [roomId, room] of Object.entries(page.rooms)) {
      const sessions = new Map<string, unknown>();
      for (const [sessionId, data] of Object.entries(room.sessions)) {
        try {
          sessions.set(sessionId, JSON.parse(key.decryptV1(data.session_data.ephemeral, data.session_data.mac, data.session_data.ciphertext)));
        } catch {
          // One damaged entry (or one the server made up) does not stop the rest.
        }
      }
      keys.set(new wasm.RoomId(roomId), sessions);
    }
    imported += (await machine.importBackedUpRoomKeys(keys, () => undefined, backup.version)).importedCount;
    from = page.next_batch;
  } while (from);
  await machine.saveBackupDecryptionKey(key, backup.version);
  await machine.enableBackupV1(backup.auth_data.public_key, backup.version);
  let verified = false;
  if (backup.auth_data.iris_cross_signing) {
    const secrets = await unseal(raw, backup.auth_data.iris_cross_signing);
    const status = await machine.importCrossSigningKeys(secrets.master ?? null, secrets.selfSigning ?? null, secrets.userSigning ?? null);
    if (status.hasSelfSigning) {
      const device = await machine.getDevice(new wasm.UserId(c.userId), new wasm.DeviceId(c.deviceId));
      if (device) await c.send(await device.verify());
      device?.free();
      const identity = await machine.getIdentity(new wasm.UserId(c.userId));
      if (identity && 'trustsOurOwnDevice' in identity) await c.send(await identity.verify());
      identity?.free();
      verified = true;
    }
  }
  await c.pump();
  return { imported, verified };
}

async function sealingKey(raw: Uint8Array): Promise<CryptoKey> {
  const base = await crypto.subtle.importKey('raw', raw as BufferSource, 'HKDF', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(32), info: new TextEncoder().encode('iris cross-signing keys') },
    base,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

async function seal(raw: Uint8Array, secrets: CrossSigningSecrets): Promise<{ iv: string; ciphertext: string }> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = new TextEncoder().encode(JSON.stringify(secrets));
  const ciphertext = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, await sealingKey(raw), data));
  return { iv: toBase64(iv), ciphertext: toBase64(ciphertext) };
}

async function unseal(raw: Uint8Array, sealed: { iv: string; ciphertext: string }): Promise<CrossSigningSecrets> {
  try {
    const clear = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: fromBase64(sealed.iv) as BufferSource }, await sealingKey(raw), fromBase64(sealed.ciphertext) as BufferSource);
    return JSON.parse(new TextDecoder().decode(clear)) as CrossSigningSecrets;
  } catch {
    return {};
  }
}
