import { ChangeDetectionStrategy, Component, effect, inject, signal, untracked } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatProgressSpinnerModule } from '@angular/material/progress-spinner';
import type { UpdateProfileDto } from '../../../sdk/models/update-profile-dto';
import { describeError } from '../../core/api-errors';
import { Toasts } from '../../shared/toasts';
import { DISPLAY_NAME_MAX, displayNameValidators, STATUS_MAX, statusValidators } from './settings-rules';
import { ProfilePicture } from './profile-picture';
import { SettingsStore } from './settings-store';

@Component({
  selector: 'app-profile-form',
  imports: [ReactiveFormsModule, MatFormFieldModule, MatInputModule, MatButtonModule, MatProgressSpinnerModule, ProfilePicture],
  changeDetection: ChangeDetectionStrategy.OnPush,
  styleUrl: './settings-section.scss',
  template: `
    <section class="card" aria-labelledby="profile-title">
      <h2 id="profile-title">Profile</h2>
      @if (store.user(); as user) {
        <app-profile-picture />
        <div class="who">
          <div>
            <div class="username" data-testid="username">&#64;{{ user.username }}</div>
            <p class="hint">Your username cannot be changed. Friends see your display name and status.</p>
          </div>
        </div>
      }
      <form [formGroup]="form" (ngSubmit)="save()" novalidate>
        @if (error(); as message) {
          <p class="form-error" role="alert">{{ message }}</p>
        }
        <mat-form-field appearance="outline">
          <mat-label>Display name</mat-label>
          <input matInput formControlName="displayName" autocomplete="nickname" required />
          <mat-hint align="end">{{ form.controls.displayName.value.trim().length }}/{{ nameMax }}</mat-hint>
          @if (form.controls.displayName.hasError('required')) {
            <mat-error>Enter a display name.</mat-error>
          } @else if (form.controls.displayName.hasError('maxlength')) {
            <mat-error>At most {{ nameMax }} characters.</mat-error>
          }
        </mat-form-field>
        <mat-form-field appearance="outline">
          <mat-label>Status message</mat-label>
          <input matInput formControlName="statusMessage" autocomplete="off" placeholder="What are you up to?" />
          <mat-hint align="end">{{ form.controls.statusMessage.value.trim().length }}/{{ statusMax }}</mat-hint>
          @if (form.controls.statusMessage.hasError('maxlength')) {
            <mat-error>At most {{ statusMax }} characters.</mat-error>
          }
        </mat-form-field>
        <div class="actions">
          @if (changed()) {
            <button mat-button type="button" (click)="revert()" [disabled]="store.profileSaving()">Undo changes</button>
          }
          <button mat-flat-button type="submit" [disabled]="!changed() || form.invalid || store.profileSaving()">
            @if (store.profileSaving()) {
              <mat-spinner diameter="20" aria-label="Saving" />
            } @else {
              Save profile
            }
          </button>
        </div>
      </form>
    </section>
  `,
  styles: `
    .who { display: flex; align-items: center; gap: 12px; margin-bottom: 16px; }
    .username { font: var(--mat-sys-title-small); overflow-wrap: anywhere; }
    .who .hint { margin: 2px 0 0; }
  `,
})
export class ProfileForm {
  protected readonly store = inject(SettingsStore);
  private readonly toasts = inject(Toasts);
  protected readonly nameMax = DISPLAY_NAME_MAX;
  protected readonly statusMax = STATUS_MAX;
  protected readonly form = inject(NonNullableFormBuilder).group({
    displayName: ['', displayNameValidators],
    statusMessage: ['', statusValidators],
  });
  protected readonly error = signal<string | null>(null);

  constructor() {
    // The saved values, also when they change elsewhere; a field the user is editing keeps the edit.
    effect(() => {
      const user = this.store.user();
      if (!user) return;
      untracked(() => {
        const { displayName, statusMessage } = this.form.controls;
        if (!displayName.dirty) displayName.reset(user.displayName);
        if (!statusMessage.dirty) statusMessage.reset(user.statusMessage);
      });
    });
  }

  /** What would change, as the server would store it (trimmed). */
  protected changes(): UpdateProfileDto {
    const user = this.store.user();
    const { displayName, statusMessage } = this.form.getRawValue();
    const changes: UpdateProfileDto = {};
    if (displayName.trim() !== (user?.displayName ?? '')) changes.displayName = displayName.trim();
    if (statusMessage.trim() !== (user?.statusMessage ?? '')) changes.statusMessage = statusMessage.trim();
    return changes;
  }

  protected changed(): boolean {
    return Object.keys(this.changes()).length > 0;
  }

  protected revert(): void {
    const user = this.store.user();
    this.error.set(null);
    if (user) this.form.reset({ displayName: user.displayName, statusMessage: user.statusMessage });
  }

  protected async save(): Promise<void> {
    this.form.markAllAsTouched();
    if (this.form.invalid || !this.changed() || this.store.profileSaving()) return;
    this.error.set(null);
    try {
      await this.store.saveProfile(this.changes());
      const user = this.store.user();
      if (user) this.form.reset({ displayName: user.displayName, statusMessage: user.statusMessage });
      this.toasts.info('Profile saved');
    } catch (error) {
      this.error.set(describeError(error));
    }
  }
}
