import { computed, inject, Injectable } from '@angular/core';
import { MatDialog } from '@angular/material/dialog';
import { confirmAction } from '../../../shared/confirm-dialog';
import { HeldMessages } from './held-messages';
import { Outbox } from './outbox';

/** Signing out deletes this device's outbox (its ciphertext is tied to the device): the user is asked first. */
@Injectable({ providedIn: 'root' })
export class UnsentWarning {
  private readonly outbox = inject(Outbox);
  private readonly held = inject(HeldMessages);
  private readonly dialog = inject(MatDialog);

  /** Messages of the signed-in user that have not reached the server: in the outbox, or still held before it. */
  readonly count = computed(() => this.outbox.entries().length + this.held.all().length);

  /** True when signing out may go ahead: nothing is unsent, or the user accepts losing it. */
  async confirmSignOut(): Promise<boolean> {
    const count = this.count();
    if (count === 0) return true;
    const what = count === 1 ? '1 message has' : `${count} messages have`;
    return confirmAction(this.dialog, {
      title: 'Sign out and lose unsent messages?',
      message: `${what} not been sent yet. Signing out deletes ${count === 1 ? 'it' : 'them'} from this device for good.`,
      confirm: count === 1 ? 'Sign out and lose it' : `Sign out and lose ${count}`,
    });
  }
}
