import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatProgressSpinnerModule } from '@angular/material/progress-spinner';
import { Router, RouterLink } from '@angular/router';
import { describeError, errorCode } from '../../core/api-errors';
import { AuthStore } from '../../core/auth-store';
import { describePasskeyError, passkeysSupported } from '../../core/passkeys';
import { passwordValidators, usernameValidators } from './auth-rules';

@Component({
  selector: 'app-sign-in',
  imports: [ReactiveFormsModule, RouterLink, MatFormFieldModule, MatInputModule, MatButtonModule, MatProgressSpinnerModule],
  changeDetection: ChangeDetectionStrategy.OnPush,
  styleUrl: './auth-page.scss',
  template: `
    <main class="card" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in</h1>
      <p class="brand">to Iris, your private messenger</p>
      @if (mfaToken()) {
        <form [formGroup]="second" (ngSubmit)="submitCode()" novalidate>
          @if (error(); as message) {
            <p class="form-error" role="alert">{{ message }}</p>
          }
          <p class="hint">Two-factor authentication is on for this account.</p>
          <mat-form-field appearance="outline">
            <mat-label>Code</mat-label>
            <input matInput formControlName="code" autocomplete="one-time-code" inputmode="text" autocapitalize="none" spellcheck="false" required />
            <mat-hint>The six digits from your authenticator app, or a recovery code</mat-hint>
            @if (second.controls.code.invalid) {
              <mat-error>Enter the code.</mat-error>
            }
          </mat-form-field>
          <div class="actions">
            <button mat-button type="button" (click)="startOver()">Back</button>
            <button mat-flat-button class="submit" type="submit" [disabled]="busy()">
              @if (busy()) {
                <mat-spinner diameter="20" aria-label="Checking the code" />
              } @else {
                Verify
              }
            </button>
          </div>
          @if (passkeys) {
            <div class="alternative">
              <span class="or">or</span>
              <button mat-stroked-button type="button" class="passkey" [disabled]="busy()" (click)="secondStepWithPasskey()">Use a passkey</button>
            </div>
          }
        </form>
      } @else {
      <form [formGroup]="form" (ngSubmit)="submit()" novalidate>
        @if (error(); as message) {
          <p class="form-error" role="alert">{{ message }}</p>
        }
        <mat-form-field appearance="outline">
          <mat-label>Username</mat-label>
          <input matInput formControlName="username" autocomplete="username" autocapitalize="none" spellcheck="false" required />
          @if (form.controls.username.hasError('required')) {
            <mat-error>Enter your username.</mat-error>
          } @else if (form.controls.username.invalid) {
            <mat-error>Usernames are 3–32 letters, digits, _ or .</mat-error>
          }
        </mat-form-field>
        <mat-form-field appearance="outline">
          <mat-label>Password</mat-label>
          <input matInput type="password" formControlName="password" autocomplete="current-password" required />
          @if (form.controls.password.hasError('required')) {
            <mat-error>Enter your password.</mat-error>
          } @else if (form.controls.password.invalid) {
            <mat-error>Passwords are 8–128 characters.</mat-error>
          }
        </mat-form-field>
        <div class="actions">
          <button mat-flat-button class="submit" type="submit" [disabled]="busy()">
            @if (busy()) {
              <mat-spinner diameter="20" aria-label="Signing in" />
            } @else {
              Sign in
            }
          </button>
        </div>
        @if (passkeys) {
          <div class="alternative">
            <span class="or">or</span>
            <button mat-stroked-button type="button" class="passkey" [disabled]="busy()" (click)="signInWithPasskey()">Sign in with a passkey</button>
          </div>
        }
      </form>
      }
      <p class="switch">New here? <a routerLink="/register">Create an account</a></p>
    </main>
  `,
})
export class SignIn {
  private readonly auth = inject(AuthStore);
  private readonly router = inject(Router);

  protected readonly form = inject(NonNullableFormBuilder).group({
    username: ['', usernameValidators],
    password: ['', passwordValidators],
  });
  protected readonly second = inject(NonNullableFormBuilder).group({ code: ['', [Validators.required, Validators.minLength(6), Validators.maxLength(32)]] });
  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);
  /** Whether to offer passkeys: this browser can use them. */
  protected readonly passkeys = passkeysSupported();
  /** Set once the password was right and a second factor is needed. */
  protected readonly mfaToken = signal<string | null>(null);

  protected async submit(): Promise<void> {
    this.form.markAllAsTouched();
    if (this.form.invalid || this.busy()) return;
    this.busy.set(true);
    this.error.set(null);
    const { username, password } = this.form.getRawValue();
    try {
      const challenge = await this.auth.signIn(username.trim().toLowerCase(), password);
      if (challenge) this.mfaToken.set(challenge.mfaToken);
      else await this.router.navigateByUrl('/chats');
    } catch (error) {
      this.error.set(describeError(error));
    } finally {
      this.busy.set(false);
    }
  }

  protected async submitCode(): Promise<void> {
    this.second.markAllAsTouched();
    const mfaToken = this.mfaToken();
    if (this.second.invalid || this.busy() || !mfaToken) return;
    this.busy.set(true);
    this.error.set(null);
    try {
      await this.auth.completeSignIn(mfaToken, this.second.getRawValue().code.trim());
      await this.router.navigateByUrl('/chats');
    } catch (error) {
      const code = errorCode(error);
      // The token is gone: the password has to be typed again.
      if (code === 'MFA_TOKEN_EXPIRED' || code === 'MFA_TOKEN_INVALID') this.startOver();
      this.error.set(describeError(error));
    } finally {
      this.busy.set(false);
    }
  }

  /** No username or password: the browser offers this site's passkeys. */
  protected async signInWithPasskey(): Promise<void> {
    await this.withPasskey(() => this.auth.signInWithPasskey());
  }

  protected async secondStepWithPasskey(): Promise<void> {
    const mfaToken = this.mfaToken();
    if (mfaToken) await this.withPasskey(() => this.auth.completeSignInWithPasskey(mfaToken));
  }

  private async withPasskey(work: () => Promise<void>): Promise<void> {
    if (this.busy()) return;
    this.busy.set(true);
    this.error.set(null);
    try {
      await work();
      await this.router.navigateByUrl('/chats');
    } catch (error) {
      const code = errorCode(error);
      if (code === 'MFA_TOKEN_EXPIRED' || code === 'MFA_TOKEN_INVALID') this.startOver();
      this.error.set(describePasskeyError(error));
    } finally {
      this.busy.set(false);
    }
  }

  protected startOver(): void {
    this.mfaToken.set(null);
    this.second.reset();
    this.error.set(null);
  }
}
