import type { CryptoInternals } from './crypto-service';

export interface TrustStatus {
  /** The user has a cross-signing identity on the server. */
  hasIdentity: boolean;
  /** This device holds the private keys to sign (it bootstrapped, or restored them with the recovery key). */
  canSign: boolean;
  /** This device is signed by its user's identity. */
  thisDeviceVerified: boolean;
  /** The server's current key backup, if any. */
  backup: { version: string; count: number } | null;
  /** This device backs its keys up to (and could restore from) that backup. */
  backupOnThisDevice: boolean;
}

/**
 * On the first device of a user (the server knows no identity for them), creates the user's
 * cross-signing identity and signs this device with it. Any later device stays unverified until
 * the recovery key or a verification from a signed-in device vouches for it.
 */
export async function ensureCrossSigning(c: CryptoInternals): Promise<boolean> {
  const { machine, transport, wasm } = c;
  if (!transport.signingKeysUpload) return false;
  const status = await machine.crossSigningStatus();
  const hasMaster = status.hasMaster;
  status.free();
  if (hasMaster) return false;
  await c.pump();
  const identity = await machine.getIdentity(new wasm.UserId(c.userId));
  identity?.free();
  if (identity) return false;
  const requests = await machine.bootstrapCrossSigning(true);
  if (requests.uploadKeysRequest) await c.send(requests.uploadKeysRequest);
  await transport.signingKeysUpload(JSON.parse(requests.uploadSigningKeysRequest.body));
  await c.send(requests.uploadSignaturesRequest);
  await c.pump();
  return true;
}

/**
 * Replaces the user's identity with a new one made here (the recovery key and every other device are
 * lost): contacts who verified the old one are warned, and this device signs itself with the new one.
 * The password is tried first with an upload that changes nothing, so a wrong one never leaves this
 * machine holding keys the server refused.
 */
export async function resetCrossSigning(c: CryptoInternals, password: string): Promise<void> {
  const { machine, transport } = c;
  if (!transport.signingKeysUpload) throw new Error('This server has no cross-signing');
  const auth = { type: 'm.login.password', password };
  await transport.signingKeysUpload({ auth });
  const requests = await machine.bootstrapCrossSigning(true);
  if (requests.uploadKeysRequest) await c.send(requests.uploadKeysRequest);
  await transport.signingKeysUpload({ ...JSON.parse(requests.uploadSigningKeysRequest.body), auth });
  await c.send(requests.uploadSignaturesRequest);
  await c.pump();
}

export async function trustStatus(c: CryptoInternals): Promise<TrustStatus> {
  const { machine, transport, wasm } = c;
  const status = await machine.crossSigningStatus();
  const identity = await machine.getIdentity(new wasm.UserId(c.userId));
  const device = await machine.getDevice(new wasm.UserId(c.userId), new wasm.DeviceId(c.deviceId));
  // Read, then freed: each of these holds the crypto store open (a sign-out right after must delete it).
  const hasIdentity = identity !== undefined;
  const canSign = status.hasSelfSigning && status.hasUserSigning;
  const thisDeviceVerified = device?.isCrossSignedByOwner() ?? false;
  identity?.free();
  device?.free();
  status.free();
  const backup = (await transport.backupCurrent?.()) ?? null;
  const local = await machine.getBackupKeys();
  const backupOnThisDevice = backup !== null && local.backupVersion === backup.version && local.decryptionKey !== undefined;
  local.free();
  return { hasIdentity, canSign, thisDeviceVerified, backup: backup ? { version: backup.version, count: backup.count } : null, backupOnThisDevice };
}
