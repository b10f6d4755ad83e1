import { inject, Injectable, signal } from '@angular/core';
import { Api } from '../../../sdk/api';
import { totpDisable } from '../../../sdk/fn/auth/totp-disable';
import { totpEnable } from '../../../sdk/fn/auth/totp-enable';
import { totpSetup } from '../../../sdk/fn/auth/totp-setup';
import { totpStatus } from '../../../sdk/fn/auth/totp-status';
import type { TotpSetupDto } from '../../../sdk/models/totp-setup-dto';
import type { TwoFactorStatusDto } from '../../../sdk/models/two-factor-status-dto';

/** Two-factor authentication of the signed-in user: its state, a setup in progress, turning it on and off. */
@Injectable()
export class TwoFactorStore {
  private readonly api = inject(Api);
  private readonly current = signal<TwoFactorStatusDto | null>(null);
  private readonly pending = signal<TotpSetupDto | null>(null);
  readonly status = this.current.asReadonly();
  readonly setup = this.pending.asReadonly();

  async load(): Promise<void> {
    this.current.set(await this.api.invoke(totpStatus));
  }

  async start(): Promise<void> {
    this.pending.set(await this.api.invoke(totpSetup));
  }

  cancel(): void {
    this.pending.set(null);
  }

  /** Answers the recovery codes, which the server shows this once; the password proves it is the owner. */
  async enable(code: string, password: string): Promise<string[]> {
    const { recoveryCodes } = await this.api.invoke(totpEnable, { body: { code, password } });
    this.pending.set(null);
    await this.load();
    return recoveryCodes;
  }

  async disable(password: string, code: string): Promise<void> {
    await this.api.invoke(totpDisable, { body: { password, code } });
    await this.load();
  }
}
