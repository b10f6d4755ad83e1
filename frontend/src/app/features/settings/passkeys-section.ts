import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import type { PasskeyDto } from '../../../sdk/models/passkey-dto';
import { describePasskeyError, passkeysSupported } from '../../core/passkeys';
import { shortTime } from '../../shared/short-time';
import { Toasts } from '../../shared/toasts';
import { PasskeysStore } from './passkeys-store';

const NAME_RULES = [Validators.required, Validators.maxLength(64), Validators.pattern(/\S/)];

/** Settings › Passkeys: add one under a name, see when each was added and last used, rename or remove it. */
@Component({
  selector: 'app-passkeys-section',
  imports: [ReactiveFormsModule, MatButtonModule, MatFormFieldModule, MatInputModule],
  providers: [PasskeysStore],
  changeDetection: ChangeDetectionStrategy.OnPush,
  styleUrl: './settings-section.scss',
  template: `
    <section class="card" aria-labelledby="passkeys-title">
      <h2 id="passkeys-title">Passkeys</h2>
      <p class="text">
        A passkey signs you in with your fingerprint, face or device PIN instead of your password, and can stand in for the
        code of two-factor authentication. Your device keeps its private key; the server never sees it.
      </p>
      @if (error(); as message) {
        <p class="form-error" role="alert">{{ message }}</p>
      }
      @if (store.passkeys(); as passkeys) {
        @if (passkeys.length > 0) {
          <ul class="passkeys" aria-label="Your passkeys">
            @for (passkey of passkeys; track passkey.id) {
              <li class="passkey">
                @if (editing() === passkey.id) {
                  <form class="inline" [formGroup]="renameForm" (ngSubmit)="rename(passkey)" novalidate>
                    <mat-form-field appearance="outline">
                      <mat-label>New name for {{ passkey.name }}</mat-label>
                      <input matInput formControlName="name" maxlength="64" required />
                      @if (renameForm.controls.name.invalid) {
                        <mat-error>Enter a name of up to 64 characters.</mat-error>
                      }
                    </mat-form-field>
                    <div class="actions">
                      <button mat-button type="button" (click)="editing.set(null)">Cancel</button>
                      <button mat-flat-button type="submit" [disabled]="busy()">Save</button>
                    </div>
                  </form>
                } @else if (removing() === passkey.id) {
                  <form class="inline" [formGroup]="removeForm" (ngSubmit)="remove(passkey)" novalidate>
                    <p class="text">Remove {{ passkey.name }}? It will no longer sign you in. Confirm with your password.</p>
                    <mat-form-field appearance="outline">
                      <mat-label>Password</mat-label>
                      <input matInput type="password" formControlName="password" autocomplete="current-password" required />
                      @if (removeForm.controls.password.invalid) {
                        <mat-error>Enter your password.</mat-error>
                      }
                    </mat-form-field>
                    <div class="actions">
                      <button mat-button type="button" (click)="removing.set(null)">Cancel</button>
                      <button mat-flat-button type="submit" class="danger" [disabled]="busy()">Remove</button>
                    </div>
                  </form>
                } @else {
                  <div class="what">
                    <span class="name">{{ passkey.name }}</span>
                    @if (passkey.backedUp) {
                      <span class="badge">Synced</span>
                    }
                  </div>
                  <div class="details">{{ details(passkey) }}</div>
                  <div class="buttons">
                    <button mat-button type="button" [attr.aria-label]="'Rename ' + passkey.name" (click)="startRename(passkey)">Rename</button>
                    <button mat-stroked-button type="button" [attr.aria-label]="'Remove ' + passkey.name" (click)="startRemove(passkey)">Remove</button>
                  </div>
                }
              </li>
            }
          </ul>
        } @else {
          <p class="text">You have no passkeys yet.</p>
        }
        @if (supported) {
          <form [formGroup]="addForm" (ngSubmit)="add()" novalidate>
            <mat-form-field appearance="outline">
              <mat-label>Name for a new passkey</mat-label>
              <input matInput formControlName="name" maxlength="64" placeholder="Laptop, phone …" required />
              @if (addForm.controls.name.invalid) {
                <mat-error>Enter a name of up to 64 characters, to tell your passkeys apart.</mat-error>
              }
            </mat-form-field>
            <div class="actions">
              <button mat-flat-button type="submit" [disabled]="busy()">Add a passkey</button>
            </div>
          </form>
        } @else {
          <p class="text">This browser cannot make passkeys.</p>
        }
      } @else if (!error()) {
        <p class="text" role="status">Loading your passkeys…</p>
      }
    </section>
  `,
  styles: `
    .passkeys { list-style: none; margin: 0 0 12px; padding: 0; }
    .passkey { display: grid; grid-template-columns: 1fr auto; gap: 2px 12px; align-items: center; padding: 10px 0; border-top: 1px solid var(--mat-sys-outline-variant); }
    .passkey:first-child { border-top: 0; }
    .inline { grid-column: 1 / -1; }
    .what { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
    .name { font: var(--mat-sys-title-small); overflow-wrap: anywhere; }
    .badge { font: var(--mat-sys-label-small); padding: 2px 8px; border-radius: 999px; background: var(--mat-sys-secondary-container); color: var(--mat-sys-on-secondary-container); }
    .details { grid-column: 1; font: var(--mat-sys-body-small); color: var(--mat-sys-on-surface-variant); }
    .buttons { grid-column: 2; grid-row: 1 / span 2; display: flex; gap: 4px; flex-wrap: wrap; justify-content: flex-end; }
    .danger { --mat-button-filled-container-color: var(--mat-sys-error); --mat-button-filled-label-text-color: var(--mat-sys-on-error); }
  `,
})
export class PasskeysSection {
  protected readonly store = inject(PasskeysStore);
  private readonly toasts = inject(Toasts);
  private readonly forms = inject(NonNullableFormBuilder);
  protected readonly supported = passkeysSupported();
  protected readonly addForm = this.forms.group({ name: ['', NAME_RULES] });
  protected readonly renameForm = this.forms.group({ name: ['', NAME_RULES] });
  protected readonly removeForm = this.forms.group({ password: ['', Validators.required] });
  protected readonly editing = signal<string | null>(null);
  protected readonly removing = signal<string | null>(null);
  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);

  constructor() {
    this.store.load().catch((error: unknown) => this.error.set(describePasskeyError(error)));
  }

  protected details(passkey: PasskeyDto): string {
    return `Added ${shortTime(passkey.createdAt)} · ${passkey.lastUsedAt ? `last used ${shortTime(passkey.lastUsedAt)}` : 'never used'}`;
  }

  protected async add(): Promise<void> {
    this.addForm.markAllAsTouched();
    if (this.addForm.invalid) return;
    await this.run(async () => {
      const added = await this.store.add(this.addForm.getRawValue().name.trim());
      this.addForm.reset();
      this.toasts.info(`Passkey “${added.name}” added.`);
    });
  }

  protected startRename(passkey: PasskeyDto): void {
    this.removing.set(null);
    this.renameForm.reset({ name: passkey.name });
    this.editing.set(passkey.id);
  }

  protected async rename(passkey: PasskeyDto): Promise<void> {
    this.renameForm.markAllAsTouched();
    if (this.renameForm.invalid) return;
    await this.run(async () => {
      await this.store.rename(passkey.id, this.renameForm.getRawValue().name.trim());
      this.editing.set(null);
    });
  }

  protected startRemove(passkey: PasskeyDto): void {
    this.editing.set(null);
    this.removeForm.reset();
    this.removing.set(passkey.id);
  }

  protected async remove(passkey: PasskeyDto): Promise<void> {
    this.removeForm.markAllAsTouched();
    if (this.removeForm.invalid) return;
    await this.run(async () => {
      await this.store.remove(passkey.id, this.removeForm.getRawValue().password);
      this.removing.set(null);
      this.toasts.info(`Passkey “${passkey.name}” removed.`);
    });
  }

  private async run(work: () => Promise<void>): Promise<void> {
    if (this.busy()) return;
    this.busy.set(true);
    this.error.set(null);
    try {
      await work();
    } catch (error) {
      this.error.set(describePasskeyError(error));
    } finally {
      this.busy.set(false);
    }
  }
}
