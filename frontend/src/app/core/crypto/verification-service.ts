import { effect, inject, Injectable, signal, untracked } from '@angular/core';
import type { Sas, VerificationRequest } from '@matrix-org/matrix-sdk-crypto-wasm';
import type { CryptoService } from './crypto-service';
import { DeviceCrypto } from './device-crypto';
import { matrixUserId } from './e2ee-transport';

export interface VerificationEmoji {
  symbol: string;
  description: string;
}

/** One emoji (SAS) verification as the UI shows it. */
export interface VerificationView {
  flowId: string;
  /** `@<uuid>:iris` of the other side (this user's own for a verification between own devices). */
  otherUserId: string;
  self: boolean;
  phase: 'incoming' | 'waiting' | 'emoji' | 'confirmed' | 'done' | 'cancelled';
  emoji: VerificationEmoji[];
  cancelReason?: string;
}

/**
 * The cancel code a device answers a second request with while one is in progress (Matrix has
 * none for it; a library that does not know it still sees a cancellation).
 */
export const BUSY_CANCEL_CODE = 'org.iris.busy';
const BUSY_REASON = 'they are verifying with someone else right now; try again in a moment';

/**
 * Emoji (SAS) verification over to-device messages, between two people or two devices of one
 * person: start one, answer one that comes in, compare the seven emoji, confirm or say they differ.
 * When both confirm, each machine signs what it verified (the other identity, or the other device)
 * with its cross-signing keys and uploads the signature.
 */
@Injectable({ providedIn: 'root' })
export class VerificationService {
  private readonly device = inject(DeviceCrypto);
  private readonly view = signal<VerificationView | null>(null);
  private request: VerificationRequest | null = null;
  private sas: Sas | null = null;
  /** Bumped when a verification finishes, so badges and warnings ask again. */
  readonly completed = signal(0);
  /** The verification in progress (one at a time), or null. */
  readonly current = this.view.asReadonly();

  constructor() {
    effect(() => {
      const service = this.device.service();
      const events = service?.toDeviceEvents() ?? [];
      if (service && events.length > 0) untracked(() => void this.incoming(service, events).catch(() => undefined));
    });
  }

  /** Asks the newest device of `userId` (a contact) to verify with this one. */
  async verifyUser(userId: string): Promise<void> {
    const service = await this.require();
    const { wasm, machine } = service.internals;
    const matrixId = matrixUserId(userId);
    await machine.updateTrackedUsers([new wasm.UserId(matrixId)]);
    await service.internals.pump();
    const userDevices = await machine.getUserDevices(new wasm.UserId(matrixId));
    const all = userDevices.devices();
    userDevices.free();
    const newest = all.filter((d) => !d.isDeleted()).sort((a, b) => Number(b.firstTimeSeen() - a.firstTimeSeen()))[0];
    const started = newest?.requestVerification([wasm.VerificationMethod.SasV1]);
    // The devices hold the crypto store open until freed; the request lives on (follow).
    for (const device of all) device.free();
    if (!started) throw new Error('They have no device to verify with yet');
    const [request, outgoing] = started;
    await service.internals.send(outgoing);
    this.follow(service, request);
  }

  /** Asks one other device of this user (from the sessions list) to verify with this one. */
  async verifyOwnDevice(deviceId: string): Promise<void> {
    const service = await this.require();
    const { wasm, machine } = service.internals;
    await machine.updateTrackedUsers([new wasm.UserId(service.userId)]);
    await service.internals.pump();
    const device = await machine.getDevice(new wasm.UserId(service.userId), new wasm.DeviceId(deviceId));
    const started = device && !device.isDeleted() ? device.requestVerification([wasm.VerificationMethod.SasV1]) : null;
    device?.free();
    if (!started) throw new Error('That device has no encryption keys yet');
    const [request, outgoing] = started;
    await service.internals.send(outgoing);
    this.follow(service, request);
  }

  /** Asks this user's other signed-in devices to verify this one ("Verify this browser"). */
  async verifyThisDevice(): Promise<void> {
    const service = await this.require();
    const { wasm, machine } = service.internals;
    const identity = await machine.getIdentity(new wasm.UserId(service.userId));
    if (!identity || !('trustsOurOwnDevice' in identity)) {
      identity?.free();
      throw new Error('Your account has no identity to verify against yet');
    }
    const [request, outgoing] = await identity.requestVerification([wasm.VerificationMethod.SasV1]);
    identity.free();
    await service.internals.send(outgoing);
    this.follow(service, request);
  }

  async accept(): Promise<void> {
    const service = await this.require();
    const outgoing = this.request?.acceptWithMethods([service.internals.wasm.VerificationMethod.SasV1]);
    if (outgoing) await service.internals.send(outgoing);
  }

  /** The emoji match: sign what was verified and tell the other side. */
  async confirm(): Promise<void> {
    const service = await this.require();
    if (!this.sas) return;
    for (const outgoing of await this.sas.confirm()) await service.internals.send(outgoing);
    await service.internals.pump();
    this.patch({ phase: this.sas.isDone() ? 'done' : 'confirmed' });
  }

  /** The emoji differ (or the user gives up): the other side hears it is cancelled. */
  async cancel(mismatch = false): Promise<void> {
    const service = await this.require();
    const outgoing = mismatch && this.sas ? this.sas.cancelWithCode('m.mismatched_sas') : (this.sas?.cancel() ?? this.request?.cancel());
    if (outgoing) await service.internals.send(outgoing);
    this.patch({ phase: 'cancelled' });
  }

  dismiss(): void {
    this.view.set(null);
    this.request = null;
    this.sas = null;
  }

  private async incoming(service: CryptoService, events: readonly unknown[]): Promise<void> {
    const { wasm, machine } = service.internals;
    for (const event of events) {
      const e = event as { type?: string; sender?: string; content?: { transaction_id?: string } };
      if (e.type !== 'm.key.verification.request' || !e.sender || !e.content?.transaction_id) continue;
      const request = machine.getVerificationRequest(new wasm.UserId(e.sender), e.content.transaction_id);
      if (!request || request.isCancelled() || request.isDone() || request.flowId === this.request?.flowId) continue;
      // One at a time: the newcomer never takes the place of the one the user is in.
      if (this.inProgress()) await this.declineAsBusy(service, request);
      else this.follow(service, request);
    }
  }

  private inProgress(): boolean {
    const phase = this.view()?.phase;
    return phase !== undefined && phase !== 'done' && phase !== 'cancelled';
  }

  private async declineAsBusy(service: CryptoService, request: VerificationRequest): Promise<void> {
    const outgoing = request.cancel();
    if (!outgoing || !('txn_id' in outgoing)) return;
    const body = JSON.parse(outgoing.body) as { messages: Record<string, Record<string, Record<string, unknown>>> };
    for (const devices of Object.values(body.messages)) {
      for (const content of Object.values(devices)) Object.assign(content, { code: BUSY_CANCEL_CODE, reason: BUSY_REASON });
    }
    const { ToDeviceRequest } = service.internals.wasm;
    await service.internals.send(new ToDeviceRequest(outgoing.id, outgoing.event_type, outgoing.txn_id, JSON.stringify(body)));
  }

  private follow(service: CryptoService, request: VerificationRequest): void {
    this.request = request;
    this.sas = null;
    this.view.set({
      flowId: request.flowId,
      otherUserId: request.otherUserId.toString(),
      self: request.isSelfVerification(),
      phase: request.weStarted() ? 'waiting' : 'incoming',
      emoji: [],
    });
    request.registerChangesCallback(async () => this.step(service, request));
  }

  private async step(service: CryptoService, request: VerificationRequest): Promise<void> {
    if (request !== this.request) return;
    if (request.isCancelled()) {
      const info = request.cancelInfo;
      this.patch({ phase: 'cancelled', cancelReason: info?.cancelCode() === BUSY_CANCEL_CODE ? BUSY_REASON : info?.reason() });
      return;
    }
    if (request.isReady() && request.weStarted() && !request.getVerification()) {
      const started = await request.startSas();
      if (started) await service.internals.send(started[1]);
    }
    const verification = request.getVerification();
    if (verification && 'emoji' in verification && verification !== this.sas) {
      this.sas = verification;
      verification.registerChangesCallback(async () => this.sasStep(service, verification));
      await this.sasStep(service, verification);
    }
  }

  private async sasStep(service: CryptoService, sas: Sas): Promise<void> {
    if (sas !== this.sas) return;
    if (sas.isCancelled()) return this.patch({ phase: 'cancelled', cancelReason: sas.cancelInfo()?.reason() });
    if (sas.isDone()) {
      await service.internals.pump();
      this.completed.update((n) => n + 1);
      return this.patch({ phase: 'done' });
    }
    if (!sas.weStarted() && !sas.hasBeenAccepted()) {
      const outgoing = sas.accept();
      if (outgoing) await service.internals.send(outgoing);
    }
    const emoji = sas.canBePresented() ? sas.emoji() : undefined;
    if (emoji && !sas.haveWeConfirmed()) this.patch({ phase: 'emoji', emoji: emoji.map((e) => ({ symbol: e.symbol, description: e.description })) });
  }

  private patch(change: Partial<VerificationView>): void {
    this.view.update((view) => (view ? { ...view, ...change } : view));
  }

  private async require(): Promise<CryptoService> {
    const service = await this.device.ready();
    if (!service) throw new Error('Encryption is not running in this browser yet');
    return service;
  }
}
