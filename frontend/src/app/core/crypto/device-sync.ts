import { signal } from '@angular/core';
import type { OlmMachine } from '@matrix-org/matrix-sdk-crypto-wasm';
import type { CryptoWasm } from './crypto-wasm';
import { sinceKey, type KeyValueStorage } from './device-store';
import type { E2eeTransport } from './e2ee-transport';
import type { AnyOutgoingRequest } from './outgoing-requests';

/** A sync that keeps saying `limited` still ends; the next wake-up carries on. */
const MAX_SYNC_ROUNDS = 50;
/**
 * A send asks the server first when the last good sync is older than this, even with wake-ups live:
 * the backstop for a wake-up the server could not deliver (its emit is fire-and-forget).
 */
const RESYNC_BEFORE_SEND_AFTER_MS = 30_000;

export interface DeviceSyncDeps {
  wasm: CryptoWasm;
  machine: OlmMachine;
  transport: E2eeTransport;
  /** Where the sync position lives. */
  storage: KeyValueStorage;
  deviceId: string;
  send(request: AnyOutgoingRequest): Promise<void>;
  /** Throws once the device's crypto has been shut down. */
  assertOpen(): void;
}

/**
 * The traffic between one device's OlmMachine and the server: the request pump (what the machine asks
 * to send) and the sync that feeds it what waits on the server, with the signals that tell the UI.
 */
export class DeviceSync {
  /** Bumped after each sync that brought to-device events (new room keys): time to retry what failed. */
  readonly keysUpdated = signal(0);
  /** Bumped after a sync that said some user's devices or identity changed (once the machine asked for them). */
  readonly devicesChanged = signal(0);
  /** The to-device events of the last sync that had any (verification requests are read from it). */
  readonly toDeviceEvents = signal<readonly unknown[]>([]);

  private pumping: Promise<void> | null = null;
  private pumpAgain = false;
  private syncing: Promise<void> | null = null;
  private syncAgain = false;
  /** When a sync last ran to the end (0: not since the service was handed out). */
  private lastGoodSyncAt = 0;
  /** The last sync failed: what it would have brought (a device-list change) may still wait. */
  private syncFailed = false;

  constructor(private readonly deps: DeviceSyncDeps) {}

  /**
   * Sends everything OlmMachine has queued (key uploads, key queries, to-device messages) and feeds the
   * answers back. One pump at a time: a call while one runs makes it go round once more.
   */
  pump(): Promise<void> {
    if (this.pumping) {
      this.pumpAgain = true;
      return this.pumping;
    }
    this.pumping = (async () => {
      try {
        do {
          this.pumpAgain = false;
          this.deps.assertOpen();
          const failures: unknown[] = [];
          for (const request of await this.deps.machine.outgoingRequests()) {
            // Each is independent; a failure leaves that one queued and the others still go.
            await this.deps.send(request).catch((error: unknown) => failures.push(error));
          }
          if (failures.length > 0) throw failures[0];
        } while (this.pumpAgain);
      } finally {
        this.pumping = null;
      }
    })();
    return this.pumping;
  }

  /**
   * Fetches what waits on the server (to-device events, device-list changes, one-time key counts) until
   * it has no more, feeds it to the machine and pumps. Calls while one runs are folded into one more round.
   */
  sync(): Promise<void> {
    if (this.syncing) {
      this.syncAgain = true;
      return this.syncing;
    }
    this.syncing = (async () => {
      try {
        do {
          this.syncAgain = false;
          await this.syncRounds();
        } while (this.syncAgain);
        this.lastGoodSyncAt = Date.now();
        this.syncFailed = false;
      } catch (error) {
        this.syncFailed = true;
        throw error;
      } finally {
        this.syncing = null;
      }
    })();
    return this.syncing;
  }

  /** Wake-ups that come before the caller holds the service are lost: its first send asks itself. */
  distrustLastSync(): void {
    this.lastGoodSyncAt = 0;
  }

  /**
   * Device-list changes (a new or a revoked device) must be in before a key is shared. While the
   * socket is up the server's wake-up has started a sync for each change, so wait for the one in
   * flight; without the socket nothing would tell us, so ask. (A sync per send was most of the
   * server's work in the encrypted-send bench.)
   */
  async catchUpBeforeSend(): Promise<void> {
    if (this.syncing) await this.syncing;
    const stale = this.syncFailed || Date.now() - this.lastGoodSyncAt > RESYNC_BEFORE_SEND_AFTER_MS;
    if (stale || !this.deps.transport.wakeupsLive?.()) await this.sync();
  }

  private async syncRounds(): Promise<void> {
    const { wasm, machine, transport, storage, deviceId } = this.deps;
    const { UserId, DeviceLists } = wasm;
    for (let round = 0; round < MAX_SYNC_ROUNDS; round++) {
      this.deps.assertOpen();
      const response = await transport.sync(storage.getItem(sinceKey(deviceId)));
      this.deps.assertOpen();
      const events = response.to_device?.events ?? [];
      const changed = (response.device_lists?.changed ?? []).map((id) => new UserId(id));
      const left = (response.device_lists?.left ?? []).map((id) => new UserId(id));
      const fallback = response.device_unused_fallback_key_types;
      await machine.receiveSyncChanges(
        JSON.stringify(events),
        new DeviceLists(changed, left),
        new Map(Object.entries(response.device_one_time_keys_count ?? {})),
        fallback ? new Set(fallback) : undefined,
      );
      // The machine has stored what it received: acknowledging it lets the server delete it.
      storage.setItem(sinceKey(deviceId), response.next_batch);
      if (events.length > 0) this.keysUpdated.update((count) => count + 1);
      await this.pump();
      if (events.length > 0) this.toDeviceEvents.set(events);
      if (changed.length > 0 || left.length > 0) this.devicesChanged.update((count) => count + 1);
      if (!response.limited) return;
    }
  }
}
