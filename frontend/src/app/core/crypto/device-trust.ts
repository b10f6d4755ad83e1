import { effect, inject, Injectable, signal, untracked } from '@angular/core';
import type { CryptoService } from './crypto-service';
import { DeviceCrypto } from './device-crypto';
import { VerificationService } from './verification-service';
import type { TrustStatus } from './cross-signing';
import type { RestoreResult } from './key-backup';

/** Keys made by sends are backed up this often (and after every sync that brought keys). */
const BACKUP_EVERY_MS = 15_000;

/**
 * Trust and history for this browser's device: bootstraps the user's cross-signing identity on their
 * first device, keeps the key backup current, and sets it up or restores it with the recovery key.
 * The crypto code loads with the device's crypto (lazily), never before.
 */
@Injectable({ providedIn: 'root' })
export class DeviceTrust {
  private readonly device = inject(DeviceCrypto);
  private readonly verification = inject(VerificationService);
  private readonly current = signal<TrustStatus | null>(null);
  private timer: ReturnType<typeof setInterval> | undefined;
  private backingUp: Promise<void> | null = null;

  /** Null until this device's crypto runs and has been asked. */
  readonly status = this.current.asReadonly();

  constructor() {
    effect(() => {
      const service = this.device.service();
      untracked(() => this.follow(service));
    });
    // A verification that finished, or a signature another device uploaded for this one, shows at once.
    effect(() => {
      const service = this.device.service();
      service?.devicesChanged();
      this.verification.completed();
      if (service && untracked(() => this.current()) !== null) untracked(() => void this.refresh().catch(() => undefined));
    });
    effect(() => {
      const service = this.device.service();
      service?.keysUpdated();
      if (service) untracked(() => void this.backUp(service));
    });
  }

  /** Asks the device and the server again. */
  async refresh(): Promise<TrustStatus | null> {
    const service = await this.device.ready();
    if (!service) return null;
    const { trustStatus } = await import('./cross-signing');
    const status = await trustStatus(service.internals);
    this.current.set(status);
    return status;
  }

  /** Starts a key backup and answers the recovery key to show once. */
  async setUpBackup(): Promise<string> {
    const service = await this.require();
    const { setUpKeyBackup } = await import('./key-backup');
    const recoveryKey = await setUpKeyBackup(service.internals);
    await this.refresh();
    return recoveryKey;
  }

  async restore(recoveryKey: string): Promise<RestoreResult> {
    const service = await this.require();
    const { restoreKeyBackup } = await import('./key-backup');
    const result = await restoreKeyBackup(service.internals, recoveryKey);
    // Messages that said "sent before this device" get another try.
    service.keysUpdated.update((n) => n + 1);
    await this.refresh();
    return result;
  }

  /** A new identity for the user, made on this device; needs the account's password (the server checks it). */
  async resetIdentity(password: string): Promise<void> {
    const service = await this.require();
    const { resetCrossSigning } = await import('./cross-signing');
    await resetCrossSigning(service.internals, password);
    // The server announced the new identity: the sync fetches it, with this device's signature.
    await service.sync().catch(() => undefined);
    await this.refresh();
  }

  private async require(): Promise<CryptoService> {
    const service = await this.device.ready();
    if (!service) throw new Error('Encryption is not running in this browser yet');
    return service;
  }

  private follow(service: CryptoService | null): void {
    clearInterval(this.timer);
    this.current.set(null);
    if (!service) return;
    void (async () => {
      const { ensureCrossSigning } = await import('./cross-signing');
      await ensureCrossSigning(service.internals);
      await this.refresh();
    })().catch(() => undefined);
    this.timer = setInterval(() => void this.backUp(service), BACKUP_EVERY_MS);
  }

  private backUp(service: CryptoService): Promise<void> {
    this.backingUp ??= (async () => {
      try {
        const { backUpRoomKeys } = await import('./key-backup');
        await backUpRoomKeys(service.internals);
      } catch {
        // The next round tries again; the keys stay marked as not backed up.
      } finally {
        this.backingUp = null;
      }
    })();
    return this.backingUp;
  }
}
