import { ChangeDetectionStrategy, Component, type ElementRef, inject, signal, viewChild } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { type AbstractControl, FormGroupDirective, NonNullableFormBuilder, ReactiveFormsModule, type ValidationErrors, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatProgressSpinnerModule } from '@angular/material/progress-spinner';
import { describeError, errorCode } from '../../core/api-errors';
import { Icon } from '../../shared/icon';
import { Toasts } from '../../shared/toasts';
import { currentPasswordValidators, newPasswordValidators, PASSWORD_MAX, PASSWORD_MIN } from './settings-rules';
import { SettingsStore } from './settings-store';

type Field = 'current' | 'new' | 'confirm';

/** The confirmation must repeat the new password. */
function sameAsNew(control: AbstractControl): ValidationErrors | null {
  const newPassword = control.parent?.get('newPassword')?.value as string | undefined;
  return control.value && newPassword !== undefined && control.value !== newPassword ? { mismatch: true } : null;
}

/** Reusing the current password as the new one changes nothing and still signs out every other device. */
function differentFromCurrent(control: AbstractControl): ValidationErrors | null {
  const current = control.parent?.get('currentPassword')?.value as string | undefined;
  return control.value && control.value === current ? { same: true } : null;
}

@Component({
  selector: 'app-password-form',
  imports: [ReactiveFormsModule, MatFormFieldModule, MatInputModule, MatButtonModule, MatProgressSpinnerModule, Icon],
  changeDetection: ChangeDetectionStrategy.OnPush,
  styleUrl: './settings-section.scss',
  template: `
    <section class="card" aria-labelledby="password-title">
      <h2 id="password-title">Password</h2>
      <p class="hint">Changing it signs you out on every other device; this one stays signed in.</p>
      <form [formGroup]="form" (ngSubmit)="save()" novalidate>
        @if (error(); as message) {
          <p class="form-error" role="alert">{{ message }}</p>
        }
        <!-- For password managers: whose password this is. -->
        <input class="hidden-username" type="text" autocomplete="username" [value]="store.user()?.username ?? ''" readonly tabindex="-1" aria-hidden="true" />
        <mat-form-field appearance="outline">
          <mat-label>Current password</mat-label>
          <input #current matInput [type]="shown() === 'current' ? 'text' : 'password'" formControlName="currentPassword" autocomplete="current-password" required />
          <button mat-icon-button matSuffix type="button" (click)="toggle('current')" [attr.aria-label]="label('current', 'current password')" [attr.aria-pressed]="shown() === 'current'">
            <app-icon [name]="shown() === 'current' ? 'visibility-off' : 'visibility'" />
          </button>
          @if (form.controls.currentPassword.hasError('wrong')) {
            <mat-error>The current password is wrong.</mat-error>
          } @else if (form.controls.currentPassword.hasError('required')) {
            <mat-error>Enter your current password.</mat-error>
          } @else if (form.controls.currentPassword.invalid) {
            <mat-error>That is longer than any password here.</mat-error>
          }
        </mat-form-field>
        <mat-form-field appearance="outline">
          <mat-label>New password</mat-label>
          <input matInput [type]="shown() === 'new' ? 'text' : 'password'" formControlName="newPassword" autocomplete="new-password" required />
          <button mat-icon-button matSuffix type="button" (click)="toggle('new')" [attr.aria-label]="label('new', 'new password')" [attr.aria-pressed]="shown() === 'new'">
            <app-icon [name]="shown() === 'new' ? 'visibility-off' : 'visibility'" />
          </button>
          <mat-hint>{{ min }}–{{ max }} characters.</mat-hint>
          @if (form.controls.newPassword.hasError('required')) {
            <mat-error>Enter a new password.</mat-error>
          } @else if (form.controls.newPassword.hasError('minlength')) {
            <mat-error>At least {{ min }} characters.</mat-error>
          } @else if (form.controls.newPassword.hasError('maxlength')) {
            <mat-error>At most {{ max }} characters.</mat-error>
          } @else if (form.controls.newPassword.hasError('same')) {
            <mat-error>Choose a password different from the current one.</mat-error>
          }
        </mat-form-field>
        <mat-form-field appearance="outline">
          <mat-label>Confirm new password</mat-label>
          <input matInput [type]="shown() === 'confirm' ? 'text' : 'password'" formControlName="confirmPassword" autocomplete="new-password" required />
          <button mat-icon-button matSuffix type="button" (click)="toggle('confirm')" [attr.aria-label]="label('confirm', 'confirmation')" [attr.aria-pressed]="shown() === 'confirm'">
            <app-icon [name]="shown() === 'confirm' ? 'visibility-off' : 'visibility'" />
          </button>
          @if (form.controls.confirmPassword.hasError('required')) {
            <mat-error>Repeat the new password.</mat-error>
          } @else if (form.controls.confirmPassword.hasError('mismatch')) {
            <mat-error>The passwords do not match.</mat-error>
          }
        </mat-form-field>
        <div class="actions">
          <button mat-flat-button type="submit" [disabled]="store.passwordSaving()">
            @if (store.passwordSaving()) {
              <mat-spinner diameter="20" aria-label="Changing password" />
            } @else {
              Change password
            }
          </button>
        </div>
      </form>
    </section>
  `,
  styles: `
    .hidden-username { position: absolute; width: 1px; height: 1px; opacity: 0; pointer-events: none; }
    form { position: relative; }
  `,
})
export class PasswordForm {
  protected readonly store = inject(SettingsStore);
  private readonly toasts = inject(Toasts);
  protected readonly min = PASSWORD_MIN;
  protected readonly max = PASSWORD_MAX;
  protected readonly form = inject(NonNullableFormBuilder).group({
    currentPassword: ['', currentPasswordValidators],
    newPassword: ['', [...newPasswordValidators, differentFromCurrent]],
    confirmPassword: ['', [Validators.required, sameAsNew]],
  });
  /** The one field whose password is shown as text, if any. */
  protected readonly shown = signal<Field | null>(null);
  protected readonly error = signal<string | null>(null);
  private readonly currentInput = viewChild.required<ElementRef<HTMLInputElement>>('current');
  private readonly formDirective = viewChild.required(FormGroupDirective);

  constructor() {
    const { currentPassword, newPassword, confirmPassword } = this.form.controls;
    // Each rule reads a neighbour: check again when the neighbour changes.
    currentPassword.valueChanges.pipe(takeUntilDestroyed()).subscribe(() => newPassword.updateValueAndValidity({ emitEvent: false }));
    newPassword.valueChanges.pipe(takeUntilDestroyed()).subscribe(() => confirmPassword.updateValueAndValidity({ emitEvent: false }));
  }

  protected toggle(field: Field): void {
    this.shown.update((shown) => (shown === field ? null : field));
  }

  protected label(field: Field, what: string): string {
    return this.shown() === field ? `Hide ${what}` : `Show ${what}`;
  }

  protected async save(): Promise<void> {
    this.form.markAllAsTouched();
    if (this.form.invalid || this.store.passwordSaving()) return;
    this.error.set(null);
    const { currentPassword, newPassword } = this.form.getRawValue();
    try {
      await this.store.changePassword(currentPassword, newPassword);
      // Also forgets that it was submitted, so the emptied fields do not show as errors.
      this.formDirective().resetForm();
      this.shown.set(null);
      this.toasts.info('Password changed. Your other devices were signed out.');
    } catch (error) {
      if (errorCode(error) === 'WRONG_PASSWORD') {
        this.form.controls.currentPassword.setErrors({ wrong: true });
        this.currentInput().nativeElement.focus();
      } else {
        this.error.set(describeError(error));
      }
    }
  }
}
