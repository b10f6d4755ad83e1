import { Injectable } from '@nestjs/common';
import { wrongPassword } from '../auth/errors.js';
import { PasswordHasher } from '../auth/password-hasher.js';
import type { AuthUser } from '../common/current-user.decorator.js';
import { Clock } from '../common/clock.js';
import { Transactions, type Tx } from '../database/transaction.js';
import { RealtimeService } from '../realtime/realtime.service.js';
import { UsersService } from '../users/users.service.js';
import { checkCrossSigningKey, checkSignatures, publicKeyOf, sameKey, type StoredCrossSigningKey } from './cross-signing-shapes.js';
import { CrossSigningRepository, type NewSignature } from './cross-signing.repository.js';
import type { DeviceSigningUploadDto, SignaturesUploadResponseDto } from './dto/cross-signing.dto.js';
import type { DeviceKeysDto } from './dto/keys.dto.js';
import type { CrossSigningUsage } from './e2ee-cross-signing-key.entity.js';
import { E2eeRepository } from './e2ee.repository.js';
import { invalidCrossSigningKey, invalidSignature, passwordRequired, tooManyTargets } from './errors.js';
import { isPlainObject } from './key-shapes.js';
import { toMatrixUserId, userIdOfMatrixId } from './matrix-ids.js';

/** Signed objects in one signatures upload. */
export const MAX_SIGNATURES_PER_UPLOAD = 100;

type Identity = Partial<Record<CrossSigningUsage, StoredCrossSigningKey>>;

/** The cross-signing part of a keys/query answer. */
export interface QueriedIdentities {
  master_keys: Record<string, StoredCrossSigningKey>;
  self_signing_keys: Record<string, StoredCrossSigningKey>;
  user_signing_keys: Record<string, StoredCrossSigningKey>;
}

/**
 * Cross-signing identities (master, self-signing, user-signing keys) and the signatures that tie
 * devices and other users to them. The server checks every signature it stores, so what it serves
 * verifies; clients still verify all of it and trust only what they verified themselves.
 */
@Injectable()
export class CrossSigningService {
  constructor(
    private readonly crossSigning: CrossSigningRepository,
    private readonly e2ee: E2eeRepository,
    private readonly transactions: Transactions,
    private readonly clock: Clock,
    private readonly realtime: RealtimeService,
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
  ) {}

  /**
   * Publishes the caller's cross-signing keys. A new master key (the first, or a reset) comes with
   * both subkeys and voids every signature on or by the old identity; subkeys alone must be signed
   * by the current master key. The same keys again change nothing. Replacing published keys needs
   * the current password: a stolen session alone must not swap the identity contacts verified.
   */
  async uploadSigningKeys(caller: AuthUser, dto: DeviceSigningUploadDto): Promise<void> {
    const userId = toMatrixUserId(caller.id);
    // Checked before the transaction (hashing is slow); whether it was needed is decided under the lock.
    const passwordChecked = dto.auth !== undefined && (await this.checkPassword(caller.id, dto.auth.password));
    const woken = await this.transactions.run(async (tx) => {
      const now = this.clock.now();
      await this.crossSigning.lockUser(tx, caller.id);
      const current = await this.identityOf(tx, caller.id);
      const devices = await this.ownDeviceSigners(tx, caller.id);
      let master = current.master;
      const isNewMaster = dto.master_key !== undefined && !(master && sameKey(master, dto.master_key));
      if (dto.master_key !== undefined) {
        const selfSigner = String(Object.values(isPlainObject(dto.master_key.keys) ? dto.master_key.keys : {})[0]);
        master = checkCrossSigningKey(dto.master_key, userId, 'master', new Map([...devices, [`ed25519:${selfSigner}`, selfSigner]]));
      }
      if (!master) throw invalidCrossSigningKey('Upload a master key first');
      if (isNewMaster && (!dto.self_signing_key || !dto.user_signing_key)) {
        throw invalidCrossSigningKey('A new master key comes with its self-signing and user-signing keys');
      }
      const byMaster = new Map([[`ed25519:${publicKeyOf(master)}`, publicKeyOf(master)]]);
      const subkeys: [CrossSigningUsage, StoredCrossSigningKey][] = [];
      if (dto.self_signing_key) subkeys.push(['self_signing', this.signedSubkey(dto.self_signing_key, userId, 'self_signing', byMaster)]);
      if (dto.user_signing_key) subkeys.push(['user_signing', this.signedSubkey(dto.user_signing_key, userId, 'user_signing', byMaster)]);
      const changed = isNewMaster || subkeys.some(([usage, key]) => !current[usage] || !sameKey(current[usage], key));
      if (!changed) return [];
      const replaces = (isNewMaster && current.master !== undefined) || subkeys.some(([usage, key]) => current[usage] && !sameKey(current[usage], key));
      if (replaces && !passwordChecked) throw passwordRequired();
      if (isNewMaster) {
        await this.crossSigning.deleteSignaturesOfUser(tx, caller.id);
        await this.crossSigning.replaceKey(tx, caller.id, 'master', master, now);
      } else if (subkeys.some(([usage]) => usage === 'self_signing')) {
        // Devices signed by the old self-signing key are not signed by the new one.
        await this.crossSigning.deleteSignaturesOnDevices(tx, await this.e2ee.sessionIdsOfUser(tx, caller.id));
      }
      for (const [usage, key] of subkeys) await this.crossSigning.replaceKey(tx, caller.id, usage, key, now);
      return this.e2ee.announceChange(tx, caller.id, [], now);
    });
    this.realtime.e2eeSync(woken);
  }

  /**
   * Stores signatures made after the keys they sign: the caller's self-signing key on the caller's
   * devices, the caller's devices on their master key, and the caller's user-signing key on a
   * contact's master key. Every signature must verify and every signed object match what is stored,
   * or nothing is kept.
   */
  async uploadSignatures(caller: AuthUser, body: Record<string, unknown>): Promise<SignaturesUploadResponseDto> {
    const userId = toMatrixUserId(caller.id);
    const targets: [string, string, Record<string, unknown>][] = [];
    if (!isPlainObject(body)) throw invalidSignature('The body maps user ids to { keyId: signed object }');
    for (const [matrixId, keys] of Object.entries(body)) {
      if (!isPlainObject(keys)) throw invalidSignature('Each user maps to { keyId: signed object }');
      for (const [keyId, signed] of Object.entries(keys)) {
        if (!isPlainObject(signed)) throw invalidSignature(`${keyId}: a signed object is a JSON object`);
        targets.push([matrixId, keyId, signed]);
      }
    }
    if (targets.length > MAX_SIGNATURES_PER_UPLOAD) throw tooManyTargets(MAX_SIGNATURES_PER_UPLOAD);
    const contacts = new Set((await this.e2ee.contacts(caller.id)).map((contact) => contact.user_id));

    const woken = await this.transactions.run(async (tx) => {
      const now = this.clock.now();
      await this.crossSigning.lockUser(tx, caller.id);
      const own = await this.identityOf(tx, caller.id);
      const ownDevices = await this.e2ee.devicesOf([caller.id], tx, now);
      const signatures: NewSignature[] = [];
      const touched = new Set<string>();
      for (const [matrixId, keyId, signed] of targets) {
        const targetId = userIdOfMatrixId(matrixId);
        if (targetId === caller.id) {
          const device = ownDevices.find((row) => row.session_id === keyId);
          if (own.master && keyId === publicKeyOf(own.master)) {
            if (!sameKey(signed, own.master)) throw invalidSignature(`${keyId}: the signed master key is not the stored one`);
            const fresh = this.freshSignatures(signed, userId, own.master, new Map(await this.ownDeviceSigners(tx, caller.id)), keyId);
            signatures.push(...fresh.map(([signerKeyId, signature]) => ({ target_user_id: caller.id, target_key_id: keyId, signer_user_id: caller.id, signer_key_id: signerKeyId, signature })));
          } else if (device && own.self_signing) {
            if (!sameKey(signed, device.device_keys)) throw invalidSignature(`${keyId}: the signed device keys are not the stored ones`);
            const ssk = publicKeyOf(own.self_signing);
            const fresh = this.freshSignatures(signed, userId, device.device_keys, new Map([[`ed25519:${ssk}`, ssk]]), keyId);
            signatures.push(...fresh.map(([signerKeyId, signature]) => ({ target_user_id: caller.id, target_key_id: keyId, signer_user_id: caller.id, signer_key_id: signerKeyId, signature })));
          } else {
            throw invalidSignature(`${keyId}: not your master key or one of your devices (publish cross-signing keys first)`);
          }
          touched.add(caller.id);
        } else if (targetId && contacts.has(targetId) && own.user_signing) {
          const theirs = (await this.identityOf(tx, targetId)).master;
          if (!theirs || keyId !== publicKeyOf(theirs) || !sameKey(signed, theirs)) throw invalidSignature(`${keyId}: not the stored master key of ${matrixId}`);
          const usk = publicKeyOf(own.user_signing);
          const mine = isPlainObject(signed.signatures) ? { [userId]: signed.signatures[userId] } : {};
          const fresh = checkSignatures({ ...signed, signatures: mine }, userId, new Map([[`ed25519:${usk}`, usk]]), keyId);
          signatures.push(...Object.entries(fresh).map(([signerKeyId, signature]) => ({ target_user_id: targetId, target_key_id: keyId, signer_user_id: caller.id, signer_key_id: signerKeyId, signature })));
        } else {
          throw invalidSignature(`${matrixId}: not a user whose master key you can sign`);
        }
      }
      await this.crossSigning.insertSignatures(tx, signatures, now);
      const woken: string[] = [];
      if (touched.has(caller.id)) woken.push(...(await this.e2ee.announceChange(tx, caller.id, [], now)));
      // A signature on a contact's master key is the caller's business alone: only their devices hear of it (and re-query).
      if (signatures.some((s) => s.target_user_id !== caller.id)) {
        const others = ownDevices.map((row) => row.session_id);
        for (const target of new Set(signatures.filter((s) => s.target_user_id !== caller.id).map((s) => s.target_user_id))) {
          await this.e2ee.announce(tx, others, target, 'changed', now);
        }
        woken.push(...others);
      }
      return woken;
    });
    this.realtime.e2eeSync([...new Set(woken)]);
    return { failures: {} };
  }

  /**
   * The cross-signing keys of these users for a keys/query by `viewerId`, with the stored signatures
   * merged in (and into `deviceKeys`); a user-signing key only for the viewer themself.
   */
  /** Which of the user's devices their own identity vouches for: the "verified" of the sessions list. */
  crossSignedDevices(userId: string, deviceIds: string[]): Promise<Set<string>> {
    return this.crossSigning.crossSignedDevices(userId, deviceIds);
  }

  async identitiesFor(viewerId: string, users: Map<string, string>, deviceKeys: Record<string, Record<string, DeviceKeysDto>>): Promise<QueriedIdentities> {
    const ids = [...users.values()];
    const keys = await this.crossSigning.keysOf(ids);
    const signatures = await this.crossSigning.signaturesOn(ids, viewerId);
    const out: QueriedIdentities = { master_keys: {}, self_signing_keys: {}, user_signing_keys: {} };
    for (const [matrixId, id] of users) {
      const signedBy = (keyId: string) => signatures.filter((s) => s.target_user_id === id && s.target_key_id === keyId);
      for (const row of keys.filter((k) => k.user_id === id)) {
        if (row.usage === 'user_signing' && id !== viewerId) continue;
        const key = structuredClone(row.key);
        if (row.usage === 'master') for (const s of signedBy(publicKeyOf(key))) addSignature(key, toMatrixUserId(s.signer_user_id), s.signer_key_id, s.signature);
        out[`${row.usage}_keys`][matrixId] = key;
      }
      for (const [deviceId, device] of Object.entries(deviceKeys[matrixId] ?? {})) {
        const extra = signedBy(deviceId);
        if (extra.length === 0) continue;
        const signed = structuredClone(device);
        for (const s of extra) addSignature(signed, matrixId, s.signer_key_id, s.signature);
        deviceKeys[matrixId][deviceId] = signed;
      }
    }
    return out;
  }

  /** Inside the transaction that deletes these devices: the signatures on them go too. */
  devicesGone(tx: Tx, deviceIds: string[]): Promise<void> {
    return this.crossSigning.deleteSignaturesOnDevices(tx, deviceIds);
  }

  /** For an export: the user's cross-signing public keys (master, self-signing, user-signing) as stored, with their signatures. */
  async exportOf(userId: string): Promise<Partial<Record<CrossSigningUsage, StoredCrossSigningKey>>> {
    return Object.fromEntries((await this.crossSigning.keysOf([userId])).map((row) => [row.usage, row.key]));
  }

  /** For an erasure, inside its transaction. */
  erase(tx: Tx, userId: string): Promise<void> {
    return this.crossSigning.eraseUser(tx, userId);
  }

  private async checkPassword(userId: string, password: string): Promise<true> {
    const user = await this.users.getById(userId);
    if (!(await this.hasher.verify(user.passwordHash, password))) throw wrongPassword('That password is not right');
    return true;
  }

  private async identityOf(tx: Tx, userId: string): Promise<Identity> {
    return Object.fromEntries((await this.crossSigning.keysOf([userId], tx)).map((row) => [row.usage, row.key]));
  }

  /** `ed25519:<device>` → the device's ed25519 key, for each device of the user. */
  private async ownDeviceSigners(tx: Tx, userId: string): Promise<[string, string][]> {
    return (await this.e2ee.devicesOf([userId], tx)).map((row) => [`ed25519:${row.session_id}`, row.device_keys.keys[`ed25519:${row.session_id}`]]);
  }

  private signedSubkey(value: unknown, userId: string, usage: CrossSigningUsage, byMaster: Map<string, string>): StoredCrossSigningKey {
    const key = checkCrossSigningKey(value, userId, usage, byMaster);
    if (!key.signatures) throw invalidSignature(`${usage}: must be signed by the master key`);
    return key;
  }

  /** The signatures of `userId` on `signed` that `stored` does not carry yet, each checked against `signers`. */
  private freshSignatures(signed: Record<string, unknown>, userId: string, stored: object, signers: Map<string, string>, what: string): [string, string][] {
    const known = ((stored as { signatures?: Record<string, Record<string, string>> }).signatures ?? {})[userId] ?? {};
    const theirs = isPlainObject(signed.signatures) && isPlainObject(signed.signatures[userId]) ? (signed.signatures[userId] as Record<string, unknown>) : {};
    const fresh = Object.fromEntries(Object.entries(theirs).filter(([keyId, signature]) => known[keyId] !== signature));
    return Object.entries(checkSignatures({ ...signed, signatures: { [userId]: fresh } }, userId, signers, what));
  }
}

function addSignature(key: { signatures?: Record<string, Record<string, string>> }, signer: string, keyId: string, signature: string): void {
  key.signatures ??= {};
  (key.signatures[signer] ??= {})[keyId] = signature;
}
