import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatProgressSpinnerModule } from '@angular/material/progress-spinner';
import { Router, RouterLink } from '@angular/router';
import { describeError, errorCode } from '../../core/api-errors';
import { AuthStore } from '../../core/auth-store';
import { passwordValidators, usernameValidators } from './auth-rules';

@Component({
  selector: 'app-register',
  imports: [ReactiveFormsModule, RouterLink, MatFormFieldModule, MatInputModule, MatButtonModule, MatProgressSpinnerModule],
  changeDetection: ChangeDetectionStrategy.OnPush,
  styleUrl: './auth-page.scss',
  template: `
    <main class="card" aria-labelledby="register-title">
      <h1 id="register-title">Create your account</h1>
      <p class="brand">on this Iris server</p>
      <form [formGroup]="form" (ngSubmit)="submit()" novalidate>
        @if (error(); as message) {
          <p class="form-error" role="alert">{{ message }}</p>
        }
        <mat-form-field appearance="outline">
          <mat-label>Username</mat-label>
          <input matInput formControlName="username" autocomplete="username" autocapitalize="none" spellcheck="false" required />
          <mat-hint>3–32 characters: a–z, 0–9, _ and .</mat-hint>
          @if (form.controls.username.hasError('required')) {
            <mat-error>Choose a username.</mat-error>
          } @else if (form.controls.username.hasError('taken')) {
            <mat-error>This username is already taken.</mat-error>
          } @else if (form.controls.username.hasError('pattern')) {
            <mat-error>Use only letters, digits, _ and .</mat-error>
          } @else if (form.controls.username.invalid) {
            <mat-error>Usernames are 3–32 characters long.</mat-error>
          }
        </mat-form-field>
        <mat-form-field appearance="outline">
          <mat-label>Display name (optional)</mat-label>
          <input matInput formControlName="displayName" autocomplete="name" />
          @if (form.controls.displayName.invalid) {
            <mat-error>At most 64 characters.</mat-error>
          }
        </mat-form-field>
        <mat-form-field appearance="outline">
          <mat-label>Password</mat-label>
          <input matInput type="password" formControlName="password" autocomplete="new-password" required />
          <mat-hint>At least 8 characters.</mat-hint>
          @if (form.controls.password.hasError('required')) {
            <mat-error>Choose a password.</mat-error>
          } @else if (form.controls.password.hasError('minlength')) {
            <mat-error>At least 8 characters.</mat-error>
          } @else if (form.controls.password.invalid) {
            <mat-error>At most 128 characters.</mat-error>
          }
        </mat-form-field>
        <div class="actions">
          <button mat-flat-button class="submit" type="submit" [disabled]="busy()">
            @if (busy()) {
              <mat-spinner diameter="20" aria-label="Creating your account" />
            } @else {
              Create account
            }
          </button>
        </div>
      </form>
      <p class="switch">Already have an account? <a routerLink="/sign-in">Sign in</a></p>
    </main>
  `,
})
export class Register {
  private readonly auth = inject(AuthStore);
  private readonly router = inject(Router);

  protected readonly form = inject(NonNullableFormBuilder).group({
    username: ['', usernameValidators],
    displayName: ['', [Validators.maxLength(64)]],
    password: ['', passwordValidators],
  });
  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);

  protected async submit(): Promise<void> {
    this.form.markAllAsTouched();
    if (this.form.invalid || this.busy()) return;
    this.busy.set(true);
    this.error.set(null);
    const { username, displayName, password } = this.form.getRawValue();
    try {
      await this.auth.register(username.trim().toLowerCase(), password, displayName.trim() || undefined);
      await this.router.navigateByUrl('/chats');
    } catch (error) {
      if (errorCode(error) === 'USERNAME_TAKEN') {
        this.form.controls.username.setErrors({ taken: true });
      } else {
        this.error.set(describeError(error));
      }
    } finally {
      this.busy.set(false);
    }
  }
}
