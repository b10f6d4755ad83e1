import { effect, inject, Injectable, InjectionToken, signal, untracked } from '@angular/core';
import { AuthStore } from '../auth-store';
import type { CryptoService } from './crypto-service';
import type { E2eeTransport } from './e2ee-transport';

/**
 * The E2EE API as the crypto core reaches it. Null until the adapter over the generated SDK is
 * provided; until then no device starts its crypto.
 */
export const E2EE_TRANSPORT = new InjectionToken<E2eeTransport | null>('E2EE_TRANSPORT', {
  providedIn: 'root',
  factory: () => null,
});

/** A start that failed for another reason than the device's keys (the network, the server) is tried again. */
const RETRY_DELAY_MS = 10_000;

/**
 * This browser's `CryptoService`, following the auth store: started at sign-in (the crypto code and
 * its wasm load only then), signed out with the session, which deletes the device's keys. A session
 * that ends (sign-out, revocation, a refresh the server refuses) is a device that ends.
 */
@Injectable({ providedIn: 'root' })
export class DeviceCrypto {
  private readonly auth = inject(AuthStore);
  private readonly transport = inject(E2EE_TRANSPORT);
  private readonly current = signal<CryptoService | null>(null);
  private readonly failure = signal<Error | null>(null);
  private starting: Promise<CryptoService | null> | null = null;
  private userId: string | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;

  /** The running service, or null while signed out, starting, or failed. */
  readonly service = this.current.asReadonly();
  /** Why the crypto could not start (e.g. a `CryptoStoreError`: the device's keys are gone). */
  readonly error = this.failure.asReadonly();

  constructor() {
    effect(() => {
      const userId = this.auth.user()?.id ?? null;
      untracked(() => this.follow(userId));
    });
  }

  /** Resolves with the service once started (null when signed out or without a transport). */
  ready(): Promise<CryptoService | null> {
    return this.starting ?? Promise.resolve(this.current());
  }

  private follow(userId: string | null): void {
    if (userId === this.userId) return;
    clearTimeout(this.retryTimer);
    const previous = this.starting;
    this.userId = userId;
    this.current.set(null);
    this.failure.set(null);
    void previous?.then((service) => service?.signOut()).catch(() => undefined);
    this.starting = userId && this.transport ? this.start(this.transport, userId) : null;
  }

  private async start(transport: E2eeTransport, userId: string): Promise<CryptoService | null> {
    try {
      const [{ CryptoService }, { forgetOtherDevices }] = await Promise.all([import('./crypto-service'), import('./device-store')]);
      const service = await CryptoService.start({ transport });
      if (this.userId !== userId) {
        await service.signOut();
        return null;
      }
      this.current.set(service);
      this.failure.set(null);
      // Keys of sessions that ended while no tab was open stay nowhere.
      void forgetOtherDevices(service.deviceId).catch(() => undefined);
      return service;
    } catch (error) {
      if (this.userId !== userId) return null;
      this.failure.set(error instanceof Error ? error : new Error(String(error)));
      if (!(error instanceof Error && error.name === 'CryptoStoreError')) {
        this.retryTimer = setTimeout(() => {
          if (this.userId === userId) this.starting = this.start(transport, userId);
        }, RETRY_DELAY_MS);
      }
      return null;
    }
  }
}
