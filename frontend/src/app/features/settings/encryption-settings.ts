import { DOCUMENT } from '@angular/common';
import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { DeviceTrust } from '../../core/crypto/device-trust';
import { VerificationService } from '../../core/crypto/verification-service';
import { Icon } from '../../shared/icon';
import { IdentityReset } from './identity-reset';
import { saveFile } from './save-file';

/**
 * Encryption: whether this browser is verified, and the key backup that lets a new browser read
 * earlier history: set it up (the recovery key is shown once, to copy or download) or restore it
 * here by entering the recovery key.
 */
@Component({
  selector: 'app-encryption-settings',
  imports: [IdentityReset, MatButtonModule, MatFormFieldModule, MatInputModule, Icon],
  changeDetection: ChangeDetectionStrategy.OnPush,
  styleUrl: './settings-section.scss',
  template: `
    <section class="card" aria-labelledby="encryption-title">
      <h2 id="encryption-title">Encryption</h2>
      @if (trust.status(); as status) {
        <p class="text" data-testid="device-verification">
          @if (status.thisDeviceVerified) {
            <app-icon name="lock" /> This browser is verified: your contacts' apps trust the messages it sends.
          } @else {
            <app-icon name="warning" /> This browser is not verified yet. Enter your recovery key below to verify it and read
            your earlier messages, or verify it from a browser where you are signed in.
          }
        </p>
        @if (!status.thisDeviceVerified && status.hasIdentity) {
          <div class="actions">
            <button mat-stroked-button type="button" (click)="verifyThisBrowser()">Verify this browser</button>
          </div>
          <app-identity-reset />
        }
        @if (recoveryKey(); as key) {
          <p class="text">
            Your recovery key. Save it somewhere safe (a password manager, or on paper): with it, a new browser can read your
            earlier messages. Iris never sees it and cannot show it again.
          </p>
          <p class="recovery-key"><code data-testid="recovery-key">{{ key }}</code></p>
          <div class="actions">
            <button mat-stroked-button type="button" (click)="copy(key)">{{ copied() ? 'Copied' : 'Copy' }}</button>
            <button mat-stroked-button type="button" (click)="download(key)"><app-icon name="download" /> Download</button>
            <button mat-flat-button type="button" (click)="recoveryKey.set(null)">I saved it</button>
          </div>
        } @else if (status.backupOnThisDevice) {
          <p class="text" data-testid="backup-status">Key backup is on: new messages' keys are saved, encrypted with your recovery key.</p>
        } @else if (status.backup) {
          <form (submit)="$event.preventDefault(); restore()">
            <mat-form-field appearance="outline">
              <mat-label>Recovery key</mat-label>
              <input matInput name="recoveryKey" autocomplete="off" spellcheck="false" [value]="entered()" (input)="entered.set($any($event.target).value)" />
            </mat-form-field>
            <div class="actions">
              <button mat-flat-button type="submit" [disabled]="busy() || !entered().trim()">Restore</button>
            </div>
          </form>
        } @else {
          <p class="text">
            Set up a key backup so that a new browser, with your recovery key, can read the messages you have now. Without
            it, a new browser reads only what is sent after you sign in there.
          </p>
          <div class="actions">
            <button mat-flat-button type="button" (click)="setUp()" [disabled]="busy()">Set up key backup</button>
          </div>
        }
        @if (restored(); as message) {
          <p class="text" role="status">{{ message }}</p>
        }
        @if (error(); as message) {
          <p class="form-error" role="alert">{{ message }}</p>
        }
      } @else {
        <p class="text">Encryption is starting in this browser…</p>
      }
    </section>
  `,
  styles: `
    .recovery-key code { font: var(--mat-sys-title-medium); font-family: monospace; word-spacing: 4px; user-select: all; }
    app-icon { --icon-size: 18px; vertical-align: text-bottom; }
    mat-form-field { width: 100%; }
  `,
})
export class EncryptionSettings {
  protected readonly trust = inject(DeviceTrust);
  private readonly verification = inject(VerificationService);
  private readonly document = inject(DOCUMENT);
  protected readonly recoveryKey = signal<string | null>(null);
  protected readonly busy = signal(false);
  protected readonly copied = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly restored = signal<string | null>(null);
  protected readonly entered = signal('');

  constructor() {
    void this.trust.refresh().catch(() => undefined);
  }

  protected async setUp(): Promise<void> {
    await this.run(async () => this.recoveryKey.set(await this.trust.setUpBackup()));
  }

  protected async restore(): Promise<void> {
    await this.run(async () => {
      const result = await this.trust.restore(this.entered());
      this.entered.set('');
      this.restored.set(`Restored ${result.imported} message keys.${result.verified ? ' This browser is now verified.' : ''}`);
    });
  }

  protected async verifyThisBrowser(): Promise<void> {
    await this.run(() => this.verification.verifyThisDevice());
  }

  protected async copy(key: string): Promise<void> {
    await navigator.clipboard?.writeText(key).catch(() => undefined);
    this.copied.set(true);
  }

  protected download(key: string): void {
    saveFile(this.document, new Blob([`Iris recovery key\n\n${key}\n`], { type: 'text/plain' }), 'iris-recovery-key.txt');
  }

  private async run(work: () => Promise<void>): Promise<void> {
    this.busy.set(true);
    this.error.set(null);
    this.restored.set(null);
    try {
      await work();
    } catch (error) {
      this.error.set(error instanceof Error && error.name === 'RecoveryKeyError' ? error.message : 'That did not work. Please try again.');
    } finally {
      this.busy.set(false);
    }
  }
}
