import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatProgressSpinnerModule } from '@angular/material/progress-spinner';
import { Router, RouterLink } from '@angular/router';
import { describeError } from '../../core/api-errors';
import { AuthStore } from '../../core/auth-store';
import { passwordValidators, usernameValidators } from './auth-rules';

@Component({
  selector: 'app-sign-in',
  imports: [ReactiveFormsModule, RouterLink, MatFormFieldModule, MatInputModule, MatButtonModule, MatProgressSpinnerModule],
  changeDetection: ChangeDetectionStrategy.OnPush,
  styleUrl: './auth-page.scss',
  template: `
    <section class="card" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in</h1>
      <p class="brand">to Iris, your private messenger</p>
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
      </form>
      <p class="switch">New here? <a routerLink="/register">Create an account</a></p>
    </section>
  `,
})
export class SignIn {
  private readonly auth = inject(AuthStore);
  private readonly router = inject(Router);

  protected readonly form = inject(NonNullableFormBuilder).group({
    username: ['', usernameValidators],
    password: ['', passwordValidators],
  });
  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);

  protected async submit(): Promise<void> {
    this.form.markAllAsTouched();
    if (this.form.invalid || this.busy()) return;
    this.busy.set(true);
    this.error.set(null);
    const { username, password } = this.form.getRawValue();
    try {
      await this.auth.signIn(username.trim().toLowerCase(), password);
      await this.router.navigateByUrl('/chats');
    } catch (error) {
      this.error.set(describeError(error));
    } finally {
      this.busy.set(false);
    }
  }
}
