import { ChangeDetectionStrategy, Component, type ElementRef, inject, signal, viewChild } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MAT_DIALOG_DATA, MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatProgressSpinnerModule } from '@angular/material/progress-spinner';
import { describeError, errorCode } from '../../core/api-errors';
import { Icon } from '../../shared/icon';
import { CURRENT_PASSWORD_MAX } from './settings-rules';
import type { SettingsStore } from './settings-store';

export interface DeleteAccountDialogData {
  store: SettingsStore;
}

/** Says what erasure removes, and asks for the password before erasing. */
@Component({
  selector: 'app-delete-account-dialog',
  imports: [ReactiveFormsModule, MatDialogModule, MatButtonModule, MatFormFieldModule, MatInputModule, MatProgressSpinnerModule, Icon],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <h2 mat-dialog-title>Delete your account?</h2>
    <form [formGroup]="form" (ngSubmit)="confirm()" novalidate>
      <mat-dialog-content>
        <p>This erases your account for real, right now. It cannot be undone. It removes:</p>
        <ul>
          <li>your profile (&#64;{{ store.user()?.username }}, your display name and status) and every signed-in device;</li>
          <li>every message you sent, in every conversation, with its earlier versions;</li>
          <li>every file you uploaded, with its thumbnails;</li>
          <li>your friends, friend requests and blocks.</li>
        </ul>
        <p>
          The people you talked to keep the messages they sent you, and see you as “Deleted user”.
          If you want a copy of your data, export it first.
        </p>
        @if (error(); as message) {
          <p class="form-error" role="alert">{{ message }}</p>
        }
        <mat-form-field appearance="outline">
          <mat-label>Your password</mat-label>
          <input #password matInput type="password" formControlName="password" autocomplete="current-password" required />
          @if (form.controls.password.hasError('wrong')) {
            <mat-error>That password is not right.</mat-error>
          } @else if (form.controls.password.hasError('required')) {
            <mat-error>Enter your password to confirm.</mat-error>
          }
        </mat-form-field>
      </mat-dialog-content>
      <mat-dialog-actions align="end">
        <button mat-button type="button" mat-dialog-close [disabled]="store.deleting()">Cancel</button>
        <button mat-flat-button class="danger" type="submit" [disabled]="store.deleting()">
          @if (store.deleting()) {
            <mat-spinner diameter="20" aria-label="Deleting your account" />
          } @else {
            <app-icon name="delete-forever" /> Delete my account
          }
        </button>
      </mat-dialog-actions>
    </form>
  `,
  styles: `
    p, li { font: var(--mat-sys-body-medium); }
    ul { margin: 0 0 12px; padding-left: 20px; display: flex; flex-direction: column; gap: 4px; }
    mat-form-field { width: 100%; margin-top: 8px; }
    .form-error { padding: 12px 16px; border-radius: var(--mat-sys-corner-small);
      background: var(--mat-sys-error-container); color: var(--mat-sys-on-error-container); }
    .danger { --mat-button-filled-container-color: var(--mat-sys-error); --mat-button-filled-label-text-color: var(--mat-sys-on-error); min-width: 180px; }
    .danger app-icon { --icon-size: 20px; margin-right: 4px; vertical-align: middle; }
    mat-spinner { margin: 0 auto; --mat-progress-spinner-active-indicator-color: var(--mat-sys-on-error); }
  `,
})
export class DeleteAccountDialog {
  protected readonly store = inject<DeleteAccountDialogData>(MAT_DIALOG_DATA).store;
  private readonly dialogRef = inject(MatDialogRef<DeleteAccountDialog>);
  protected readonly form = inject(NonNullableFormBuilder).group({
    password: ['', [Validators.required, Validators.maxLength(CURRENT_PASSWORD_MAX)]],
  });
  protected readonly error = signal<string | null>(null);
  private readonly passwordInput = viewChild.required<ElementRef<HTMLInputElement>>('password');

  protected async confirm(): Promise<void> {
    this.form.markAllAsTouched();
    if (this.form.invalid || this.store.deleting()) return;
    this.error.set(null);
    this.dialogRef.disableClose = true;
    try {
      await this.store.deleteAccount(this.form.getRawValue().password);
      this.dialogRef.close(true);
    } catch (error) {
      this.dialogRef.disableClose = false;
      if (errorCode(error) === 'WRONG_PASSWORD') {
        this.form.controls.password.setErrors({ wrong: true });
        this.passwordInput().nativeElement.select();
      } else if (errorCode(error) === 'LAST_ADMIN') {
        // The shared sentence speaks of erasing someone else; here it is your own account.
        this.error.set('You are the last administrator. Make someone else an admin before deleting your account.');
      } else {
        this.error.set(describeError(error));
      }
    }
  }
}
