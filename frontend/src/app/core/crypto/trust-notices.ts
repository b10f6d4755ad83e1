import { DestroyRef, effect, inject, Injectable, InjectionToken, signal, untracked } from '@angular/core';
import type { CryptoService } from './crypto-service';
import { DeviceCrypto } from './device-crypto';
import { userIdOf } from './e2ee-transport';
import { type TrustNotice, TrustNoticesDb } from './trust-notices-db';
import { VerificationService } from './verification-service';

export type { TrustNotice };

/** Where the notices are kept: the browser's IndexedDB, or nowhere (memory only) where there is none. */
export const TRUST_NOTICES_INDEXED_DB = new InjectionToken<IDBFactory | null>('The IndexedDB of the trust notices', {
  providedIn: 'root',
  factory: () => (typeof indexedDB === 'undefined' ? null : indexedDB),
});

/**
 * The history notices about contacts' identities ("You verified Bob", "Bob's identity changed"), for
 * the conversation to show among its messages. They are local to this device (the server never
 * hears of a verification) and survive a reload in IndexedDB.
 */
@Injectable({ providedIn: 'root' })
export class TrustNotices {
  private readonly device = inject(DeviceCrypto);
  private readonly verification = inject(VerificationService);
  private readonly idb = inject(TRUST_NOTICES_INDEXED_DB);
  private readonly list = signal<readonly TrustNotice[]>([]);
  private db: Promise<TrustNoticesDb | null> = Promise.resolve(null);
  private loaded: Promise<void> = Promise.resolve();
  private deviceId: string | null = null;

  /** Every notice of this device, oldest first. */
  readonly notices = this.list.asReadonly();

  constructor() {
    inject(DestroyRef).onDestroy(() => void this.db.then((db) => db?.close()));
    effect(() => {
      const service = this.device.service();
      untracked(() => this.follow(service));
    });
    effect(() => {
      const view = this.verification.current();
      const peerId = view && !view.self && view.phase === 'done' ? userIdOf(view.otherUserId) : null;
      if (view && peerId) untracked(() => void this.record({ id: view.flowId, peerId, kind: 'verified' }));
    });
    // A verified contact's new identity is seen after a sync that changed their devices.
    effect(() => {
      const service = this.device.service();
      service?.devicesChanged();
      if (service) untracked(() => void this.findChangedIdentities(service).catch(() => undefined));
    });
  }

  private follow(service: CryptoService | null): void {
    if ((service?.deviceId ?? null) === this.deviceId) return;
    this.deviceId = service?.deviceId ?? null;
    void this.db.then((db) => db?.close());
    this.list.set([]);
    const idb = this.idb;
    this.db = service && idb ? TrustNoticesDb.open(service.deviceId, idb).catch(() => null) : Promise.resolve(null);
    const opened = this.db;
    this.loaded = opened.then(async (db) => {
      const notices = (await db?.all().catch(() => [])) ?? [];
      if (opened === this.db) this.list.set(notices);
    });
  }

  private async record(notice: Omit<TrustNotice, 'at'>): Promise<void> {
    // What the database already holds keeps its time: a notice seen again after a reload is not new.
    await this.loaded;
    if (this.list().some((known) => known.id === notice.id)) return;
    const full: TrustNotice = { ...notice, at: new Date().toISOString() };
    this.list.update((now) => merge(now, [full]));
    await (await this.db)?.put(full).catch(() => undefined);
  }

  private async findChangedIdentities(service: CryptoService): Promise<void> {
    const { wasm, machine } = service.internals;
    for (const user of await machine.trackedUsers()) {
      const matrixId = user.toString();
      const peerId = userIdOf(matrixId);
      if (!peerId || matrixId === service.userId) continue;
      const identity = await machine.getIdentity(new wasm.UserId(matrixId));
      try {
        if (!identity?.hasVerificationViolation()) continue;
        const masterKey = Object.values((JSON.parse(identity.masterKey) as { keys: Record<string, string> }).keys)[0];
        await this.record({ id: `changed:${peerId}:${masterKey}`, peerId, kind: 'identity-changed' });
      } finally {
        // Freed at once: each holds the crypto store open, which a sign-out must be able to delete.
        identity?.free();
      }
    }
  }
}

function merge(a: readonly TrustNotice[], b: readonly TrustNotice[]): TrustNotice[] {
  const byId = new Map([...a, ...b].map((notice) => [notice.id, notice]));
  return [...byId.values()].sort((x, y) => x.at.localeCompare(y.at));
}
