import { inject, Injectable, signal } from '@angular/core';
import { Api } from '../../../sdk/api';
import { passkeysList } from '../../../sdk/fn/auth/passkeys-list';
import { passkeysRegister } from '../../../sdk/fn/auth/passkeys-register';
import { passkeysRegistrationOptions } from '../../../sdk/fn/auth/passkeys-registration-options';
import { passkeysRemove } from '../../../sdk/fn/auth/passkeys-remove';
import { passkeysRename } from '../../../sdk/fn/auth/passkeys-rename';
import type { PasskeyDto } from '../../../sdk/models/passkey-dto';
import { createPasskey } from '../../core/passkeys';

/** The user's passkeys: adding one (the browser makes it), renaming and removing. */
@Injectable()
export class PasskeysStore {
  private readonly api = inject(Api);
  private readonly list = signal<PasskeyDto[] | null>(null);
  /** Null until the first answer. */
  readonly passkeys = this.list.asReadonly();

  async load(): Promise<void> {
    this.list.set((await this.api.invoke(passkeysList)).items);
  }

  /** Asks the browser for a new passkey and registers it under `name`. */
  async add(name: string): Promise<PasskeyDto> {
    const credential = await createPasskey(await this.api.invoke(passkeysRegistrationOptions));
    const added = await this.api.invoke(passkeysRegister, { body: { name, credential } });
    this.list.update((items) => [...(items ?? []), added]);
    return added;
  }

  async rename(id: string, name: string): Promise<void> {
    const renamed = await this.api.invoke(passkeysRename, { id, body: { name } });
    this.list.update((items) => items?.map((item) => (item.id === id ? renamed : item)) ?? null);
  }

  async remove(id: string, password: string): Promise<void> {
    await this.api.invoke(passkeysRemove, { id, body: { password } });
    this.list.update((items) => items?.filter((item) => item.id !== id) ?? null);
  }
}
