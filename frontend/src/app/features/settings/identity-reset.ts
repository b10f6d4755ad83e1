import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { describeError } from '../../core/api-errors';
import { DeviceTrust } from '../../core/crypto/device-trust';

/**
 * Settings › Encryption, for a user who lost their recovery key and every verified device: a new
 * identity made on this browser. It takes the account's password; contacts who verified the old
 * identity are warned before their next message.
 */
@Component({
  selector: 'app-identity-reset',
  imports: [MatButtonModule, MatFormFieldModule, MatInputModule],
  changeDetection: ChangeDetectionStrategy.OnPush,
  styleUrl: './settings-section.scss',
  template: `
    @if (!open()) {
      <div class="actions">
        <button mat-button type="button" (click)="open.set(true)">Reset your encryption identity…</button>
      </div>
    } @else {
      <form (submit)="$event.preventDefault(); reset()" aria-labelledby="identity-reset-title">
        <h3 id="identity-reset-title">Reset your encryption identity</h3>
        <p class="text">
          Only if you lost your recovery key and no verified device is left. This browser makes a new identity; your contacts
          are warned that it changed and should verify you again, and your other devices must be verified again.
        </p>
        <mat-form-field appearance="outline">
          <mat-label>Current password</mat-label>
          <input matInput type="password" name="password" autocomplete="current-password" [value]="password()" (input)="password.set($any($event.target).value)" />
        </mat-form-field>
        @if (error(); as message) {
          <p class="form-error" role="alert">{{ message }}</p>
        }
        <div class="actions">
          <button mat-button type="button" (click)="close()">Cancel</button>
          <button mat-flat-button type="submit" [disabled]="busy() || !password()">Reset identity</button>
        </div>
      </form>
    }
  `,
  styles: `
    h3 { margin: 8px 0; font: var(--mat-sys-title-small); }
    mat-form-field { width: 100%; }
  `,
})
export class IdentityReset {
  private readonly trust = inject(DeviceTrust);
  protected readonly open = signal(false);
  protected readonly password = signal('');
  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);

  protected close(): void {
    this.open.set(false);
    this.password.set('');
    this.error.set(null);
  }

  protected async reset(): Promise<void> {
    this.busy.set(true);
    this.error.set(null);
    try {
      await this.trust.resetIdentity(this.password());
      this.close();
    } catch (error) {
      this.error.set(describeError(error));
    } finally {
      this.busy.set(false);
    }
  }
}
