import { ChangeDetectionStrategy, Component, inject, Injectable } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MAT_DIALOG_DATA, MatDialog, MatDialogModule } from '@angular/material/dialog';
import { Router } from '@angular/router';
import { firstValueFrom } from 'rxjs';
import { Api } from '../../sdk/api';
import { sessionsList } from '../../sdk/fn/sessions/sessions-list';
import type { SessionDto } from '../../sdk/models/session-dto';
import { DeviceCrypto } from './crypto/device-crypto';
import { DeviceTrust } from './crypto/device-trust';

type Answer = 'go' | 'backup' | undefined;

/**
 * Whether ending these sessions leaves the user without any device that holds their message keys,
 * while no key backup keeps them: their encrypted history could then never be read again.
 */
export function historyAtRisk(sessions: readonly SessionDto[], ending: readonly string[], backedUp: boolean): boolean {
  if (backedUp) return false;
  const ends = (session: SessionDto) => ending.includes(session.id);
  return sessions.some((session) => ends(session) && session.e2ee !== null) && !sessions.some((session) => !ends(session) && session.e2ee !== null);
}

/** "This is your last device": sign out (or revoke) anyway, or set up the key backup first. */
@Component({
  selector: 'app-last-device-dialog',
  imports: [MatDialogModule, MatButtonModule],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <h2 mat-dialog-title>Your encrypted messages will be lost</h2>
    <mat-dialog-content>
      <p class="message" data-testid="last-device-warning">
        This is the last device that holds the keys to your encrypted messages, and you have not set up a key backup. After
        {{ action === 'revoke' ? 'revoking it' : 'signing out' }}, your earlier encrypted messages cannot be read on any device,
        ever. Set up the key backup first and keep its recovery key.
      </p>
    </mat-dialog-content>
    <mat-dialog-actions align="end">
      <button mat-button type="button" [mat-dialog-close]="undefined">Cancel</button>
      <button mat-button type="button" class="danger" [mat-dialog-close]="'go'">{{ action === 'revoke' ? 'Revoke anyway' : 'Sign out anyway' }}</button>
      <button mat-flat-button type="button" [mat-dialog-close]="'backup'">Set up key backup</button>
    </mat-dialog-actions>
  `,
  styles: `
    .message { margin: 0; }
    .danger { color: var(--mat-sys-error); }
  `,
})
export class LastDeviceDialog {
  protected readonly action = inject<'sign-out' | 'revoke'>(MAT_DIALOG_DATA);
}

/** Asks before the user's last device with the message keys goes while nothing else keeps them. */
@Injectable({ providedIn: 'root' })
export class LastDeviceWarning {
  private readonly api = inject(Api);
  private readonly dialog = inject(MatDialog);
  private readonly router = inject(Router);
  private readonly trust = inject(DeviceTrust);
  private readonly device = inject(DeviceCrypto);

  /** Before signing this browser out: true to go on (nothing at risk, or the user said so). */
  async confirmSignOut(): Promise<boolean> {
    try {
      const service = this.device.service();
      // No message key on this device: there is no encrypted history to lose.
      if (!service || (await service.internals.machine.roomKeyCounts()).total === 0) return true;
      const status = await this.trust.refresh();
      if (!status || status.backupOnThisDevice) return true;
      const sessions = (await this.api.invoke(sessionsList)).items;
      const current = sessions.filter((session) => session.current).map((session) => session.id);
      if (!historyAtRisk(sessions, current, false)) return true;
    } catch {
      // Nothing to go on (offline, the server refuses): signing out is never held back by the check.
      return true;
    }
    return this.confirm('sign-out');
  }

  /** The dialog: true to go on; "Set up key backup" opens Settings › Encryption instead. */
  async confirm(action: 'sign-out' | 'revoke'): Promise<boolean> {
    const ref = this.dialog.open<LastDeviceDialog, 'sign-out' | 'revoke', Answer>(LastDeviceDialog, {
      data: action,
      role: 'alertdialog',
      maxWidth: '460px',
      width: 'calc(100vw - 32px)',
    });
    const answer = await firstValueFrom(ref.afterClosed());
    if (answer === 'backup') await this.router.navigate(['/settings'], { fragment: 'encryption-title' });
    return answer === 'go';
  }
}
