import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatDialog } from '@angular/material/dialog';
import { Icon } from '../../shared/icon';
import { DeleteAccountDialog, type DeleteAccountDialogData } from './delete-account-dialog';
import { SettingsStore } from './settings-store';

/** The danger zone: erasing the account, behind a dialog that asks for the password. */
@Component({
  selector: 'app-delete-account',
  imports: [MatButtonModule, Icon],
  changeDetection: ChangeDetectionStrategy.OnPush,
  styleUrl: './settings-section.scss',
  template: `
    <section class="card danger-zone" aria-labelledby="delete-title">
      <h2 id="delete-title"><app-icon name="warning" /> Delete my account</h2>
      <p class="text">
        Erases your account and everything that is yours on this server: your profile, the messages you sent,
        your files, your friends. The people you talked to keep their own messages. This cannot be undone.
      </p>
      <div class="actions">
        <button mat-stroked-button class="danger" type="button" (click)="open()">Delete my account…</button>
      </div>
    </section>
  `,
  styles: `
    .danger-zone { border-color: var(--mat-sys-error); }
    h2 { display: flex; align-items: center; gap: 8px; color: var(--mat-sys-error); }
    .danger { --mat-button-outlined-label-text-color: var(--mat-sys-error); --mat-button-outlined-outline-color: var(--mat-sys-error); }
  `,
})
export class DeleteAccount {
  private readonly store = inject(SettingsStore);
  private readonly dialog = inject(MatDialog);

  protected open(): void {
    this.dialog.open<DeleteAccountDialog, DeleteAccountDialogData>(DeleteAccountDialog, {
      data: { store: this.store },
      maxWidth: 'min(520px, calc(100vw - 24px))',
      autoFocus: 'first-tabbable',
    });
  }
}
