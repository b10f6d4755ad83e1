import { DOCUMENT } from '@angular/common';
import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import QRCode from 'qrcode';
import { describeError } from '../../core/api-errors';
import { saveFile } from './save-file';
import { TwoFactorStore } from './two-factor-store';

/** Settings › Two-factor authentication: set up an authenticator app (QR code or typed secret), keep the recovery codes, turn it off. */
@Component({
  selector: 'app-two-factor-section',
  imports: [ReactiveFormsModule, MatButtonModule, MatFormFieldModule, MatInputModule],
  providers: [TwoFactorStore],
  changeDetection: ChangeDetectionStrategy.OnPush,
  styleUrl: './settings-section.scss',
  template: `
    <section class="card" aria-labelledby="two-factor-title">
      <h2 id="two-factor-title">Two-factor authentication</h2>
      @if (error(); as message) {
        <p class="form-error" role="alert">{{ message }}</p>
      }
      @if (recoveryCodes(); as codes) {
        <p class="text">Two-factor authentication is on. Keep these recovery codes somewhere safe: each signs you in once if your phone is lost. They are shown only now.</p>
        <ol class="codes" aria-label="Recovery codes">
          @for (code of codes; track code) {
            <li><code>{{ code }}</code></li>
          }
        </ol>
        <div class="actions">
          <button mat-stroked-button type="button" (click)="download(codes)">Download codes</button>
          <button mat-flat-button type="button" (click)="recoveryCodes.set(null)">I saved them</button>
        </div>
      } @else if (store.setup(); as setup) {
        <p class="text">Scan this with an authenticator app (Aegis, Google Authenticator, 1Password …), or type the key in, then enter the code it shows.</p>
        @if (qr(); as image) {
          <img class="qr" [src]="image" width="200" height="200" alt="QR code of the authenticator key" />
        }
        <p class="text">Key: <code class="secret">{{ setup.secret }}</code></p>
        <form [formGroup]="confirm" (ngSubmit)="enable()" novalidate>
          <mat-form-field appearance="outline">
            <mat-label>Code from the app</mat-label>
            <input matInput formControlName="code" autocomplete="one-time-code" inputmode="numeric" required />
            @if (confirm.controls.code.invalid) {
              <mat-error>Enter the six digits.</mat-error>
            }
          </mat-form-field>
          <mat-form-field appearance="outline">
            <mat-label>Password</mat-label>
            <input matInput type="password" formControlName="password" autocomplete="current-password" required />
            @if (confirm.controls.password.invalid) {
              <mat-error>Enter your password.</mat-error>
            }
          </mat-form-field>
          <div class="actions">
            <button mat-button type="button" (click)="store.cancel()">Cancel</button>
            <button mat-flat-button type="submit" [disabled]="busy()">Turn on</button>
          </div>
        </form>
      } @else if (store.status(); as status) {
        @if (status.totpEnabled) {
          <p class="text">On: signing in asks for a code from your authenticator app. {{ status.recoveryCodesLeft }} recovery codes left.</p>
          <form [formGroup]="off" (ngSubmit)="disable()" novalidate>
            <mat-form-field appearance="outline">
              <mat-label>Password</mat-label>
              <input matInput type="password" formControlName="password" autocomplete="current-password" required />
            </mat-form-field>
            <mat-form-field appearance="outline">
              <mat-label>Code or recovery code</mat-label>
              <input matInput formControlName="code" autocomplete="one-time-code" required />
            </mat-form-field>
            <div class="actions">
              <button mat-stroked-button type="submit" [disabled]="busy()">Turn off</button>
            </div>
          </form>
        } @else {
          <p class="text">
            Off. With it on, signing in also asks for a code from an app on your phone, so a stolen password is not enough.
            @if (status.required) {
              <strong>This server requires it for administrators.</strong>
            }
          </p>
          <div class="actions">
            <button mat-flat-button type="button" [disabled]="busy()" (click)="start()">Set up</button>
          </div>
        }
      } @else {
        <p class="text" role="status">Loading…</p>
      }
    </section>
  `,
  styles: `
    .qr { display: block; margin: 0 auto 12px; background: #fff; padding: 8px; border-radius: 8px; }
    .secret { word-break: break-all; }
    .codes { columns: 2; margin: 0 0 12px; font: var(--mat-sys-body-large); }
  `,
})
export class TwoFactorSection {
  protected readonly store = inject(TwoFactorStore);
  private readonly document = inject(DOCUMENT);
  private readonly forms = inject(NonNullableFormBuilder);
  protected readonly confirm = this.forms.group({ code: ['', [Validators.required, Validators.pattern(/^\d{6}$/)]], password: ['', Validators.required] });
  protected readonly off = this.forms.group({ password: ['', Validators.required], code: ['', [Validators.required, Validators.minLength(6)]] });
  protected readonly qr = signal<string | null>(null);
  protected readonly recoveryCodes = signal<string[] | null>(null);
  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);

  constructor() {
    this.store.load().catch((error: unknown) => this.error.set(describeError(error)));
  }

  protected async start(): Promise<void> {
    await this.run(async () => {
      await this.store.start();
      this.qr.set(await QRCode.toDataURL(this.store.setup()!.otpauthUrl, { margin: 1, width: 200 }));
    });
  }

  protected async enable(): Promise<void> {
    this.confirm.markAllAsTouched();
    if (this.confirm.invalid) return;
    await this.run(async () => {
      const { code, password } = this.confirm.getRawValue();
      this.recoveryCodes.set(await this.store.enable(code, password));
      this.confirm.reset();
      this.qr.set(null);
    });
  }

  protected async disable(): Promise<void> {
    this.off.markAllAsTouched();
    if (this.off.invalid) return;
    const { password, code } = this.off.getRawValue();
    await this.run(async () => {
      await this.store.disable(password, code.trim());
      this.off.reset();
    });
  }

  protected download(codes: string[]): void {
    const text = `Iris recovery codes\nEach one signs you in once instead of a code from your authenticator app.\n\n${codes.join('\n')}\n`;
    saveFile(this.document, new Blob([text], { type: 'text/plain' }), 'iris-recovery-codes.txt');
  }

  private async run(work: () => Promise<void>): Promise<void> {
    if (this.busy()) return;
    this.busy.set(true);
    this.error.set(null);
    try {
      await work();
    } catch (error) {
      this.error.set(describeError(error));
    } finally {
      this.busy.set(false);
    }
  }
}
