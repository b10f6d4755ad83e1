import { computed, inject, Injectable } from '@angular/core';
import { DeviceCrypto } from './device-crypto';
import { matrixUserId } from './e2ee-transport';
import { type SendingProblem } from './trust-decisions';
import { VerificationService } from './verification-service';

/** A contact's verification state as this device's machine knows it, for badges and the warning before a send. */
@Injectable({ providedIn: 'root' })
export class ContactTrust {
  private readonly device = inject(DeviceCrypto);
  private readonly verification = inject(VerificationService);

  /** Changes whenever the answers below may have changed: read it in a computed/effect to ask again. */
  readonly version = computed(() => {
    const service = this.device.service();
    return `${service?.deviceId ?? ''}|${service?.devicesChanged() ?? 0}|${service?.keysUpdated() ?? 0}|${this.verification.completed()}`;
  });

  async isVerified(userId: string): Promise<boolean> {
    const service = this.device.service();
    if (!service) return false;
    const { wasm, machine } = service.internals;
    const identity = await machine.getIdentity(new wasm.UserId(matrixUserId(userId)));
    const verified = identity?.isVerified() ?? false;
    // Freed at once: it holds the crypto store open, which a sign-out must be able to delete.
    identity?.free();
    return verified;
  }

  async problems(userId: string): Promise<SendingProblem[]> {
    const service = this.device.service();
    if (!service) return [];
    const { wasm, machine, pump } = service.internals;
    await machine.updateTrackedUsers([new wasm.UserId(matrixUserId(userId))]);
    await pump();
    const { sendingProblems } = await import('./trust-decisions');
    return sendingProblems(wasm, machine, [matrixUserId(userId)]);
  }

  /** "Send anyway". */
  async accept(problems: SendingProblem[]): Promise<void> {
    const service = this.device.service();
    if (!service) return;
    const { acceptSendingProblems } = await import('./trust-decisions');
    await acceptSendingProblems(service.internals.wasm, service.internals.machine, problems);
    service.devicesChanged.update((n) => n + 1);
  }
}
