import type { OlmMachine } from '@matrix-org/matrix-sdk-crypto-wasm';
import type { CryptoWasm } from './crypto-wasm';

/**
 * Why a message must not go out before the sender says so: a contact the sender verified has a new
 * identity (they reset it, or the server swapped it), or a device of a verified contact that their
 * identity does not vouch for (they have not verified it yet, or the server added it).
 */
export type SendingProblem =
  | { kind: 'identity-changed'; userId: string }
  | { kind: 'unverified-device'; userId: string; deviceIds: string[] };

export class TrustProblemError extends Error {
  override readonly name = 'TrustProblemError';
  constructor(readonly problems: SendingProblem[]) {
    super('A verified contact changed: confirm before sending');
  }
}

/**
 * The problems that hold a send to these users back. Unverified contacts never warn (there is
 * nothing to break); a device the user refused (blacklisted) or accepted as it is (ignored) neither.
 */
export async function sendingProblems(wasm: CryptoWasm, machine: OlmMachine, userIds: string[]): Promise<SendingProblem[]> {
  const problems: SendingProblem[] = [];
  for (const userId of userIds) {
    const identity = await machine.getIdentity(new wasm.UserId(userId));
    if (!identity) continue;
    // Each library object holds the crypto store open until freed: free them once read.
    const changed = identity.hasVerificationViolation();
    const verified = identity.isVerified();
    identity.free();
    if (changed) {
      problems.push({ kind: 'identity-changed', userId });
      continue;
    }
    if (!verified) continue;
    const devices = await machine.getUserDevices(new wasm.UserId(userId));
    const all = devices.devices();
    devices.free();
    const unverified = all
      .filter((device) => !device.isCrossSignedByOwner() && !device.isBlacklisted() && device.localTrustState !== wasm.LocalTrust.Ignored && !device.isDeleted())
      .map((device) => device.deviceId.toString());
    for (const device of all) device.free();
    if (unverified.length > 0) problems.push({ kind: 'unverified-device', userId, deviceIds: unverified.sort() });
  }
  return problems;
}

/**
 * "Send anyway": the user takes the new identity as it is (no longer verified, no longer warned
 * about) and lets the listed devices receive keys.
 */
export async function acceptSendingProblems(wasm: CryptoWasm, machine: OlmMachine, problems: SendingProblem[]): Promise<void> {
  for (const problem of problems) {
    if (problem.kind === 'identity-changed') {
      const identity = await machine.getIdentity(new wasm.UserId(problem.userId));
      await identity?.withdrawVerification();
      identity?.free();
    } else {
      for (const deviceId of problem.deviceIds) {
        const device = await machine.getDevice(new wasm.UserId(problem.userId), new wasm.DeviceId(deviceId));
        await device?.setLocalTrust(wasm.LocalTrust.Ignored);
        device?.free();
      }
    }
  }
}
