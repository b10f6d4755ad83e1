import { HttpErrorResponse } from '@angular/common/http';
import { ChangeDetectionStrategy, Component, computed, effect, type ElementRef, inject, type OnInit, signal, viewChild } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MAT_DIALOG_DATA, MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatProgressSpinnerModule } from '@angular/material/progress-spinner';
import { Api } from '../../../sdk/api';
import { adminEraseUser } from '../../../sdk/fn/admin/admin-erase-user';
import type { AdminUserDto } from '../../../sdk/models/admin-user-dto';
import type { ErasureCountsDto } from '../../../sdk/models/erasure-counts-dto';
import { describeError, errorCode } from '../../core/api-errors';
import { erasureParts } from './admin-format';

export interface EraseUserDialogData {
  user: AdminUserDto;
  /** The signed-in admin's own account. */
  self: boolean;
}

/** `erased`: it is gone, with what went; `gone`: someone erased it first. Undefined when cancelled. */
export type EraseUserDialogResult = { outcome: 'erased'; counts: ErasureCountsDto } | { outcome: 'gone' };

/** Counts first (a dry run), then erases once the admin has typed the username. */
@Component({
  selector: 'app-erase-user-dialog',
  imports: [MatDialogModule, MatButtonModule, MatFormFieldModule, MatInputModule, MatProgressSpinnerModule],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <h2 mat-dialog-title>Erase {{ data.user.displayName || data.user.username }}?</h2>
    <form (submit)="submit($event)" novalidate>
      <mat-dialog-content>
        <p class="lead">
          <span class="username">&#64;{{ data.user.username }}</span> and everything that is theirs will be deleted for good.
          This cannot be undone.
        </p>
        @if (counting()) {
          <div class="state" role="status">
            <mat-spinner diameter="28" />
            <span>Counting what will be deleted…</span>
          </div>
        } @else if (countError(); as error) {
          <p class="error" role="alert" data-testid="erase-error">{{ error }}</p>
        } @else if (counts()) {
          <div data-testid="erase-summary">
            <p id="erase-will-delete">This will permanently delete:</p>
            <ul aria-labelledby="erase-will-delete">
              <li>the account: profile, username and password</li>
              @for (part of parts(); track part) {
                <li>{{ part }}</li>
              }
            </ul>
            @if (parts().length === 0) {
              <p class="note">They have no messages, files, friends or sessions.</p>
            }
            <p class="note">The people they talked to keep their own messages and see them as "Deleted user".</p>
          </div>
          @if (data.self) {
            <p class="warning" role="note">This is your own account. Erasing it signs you out everywhere.</p>
          }
          <mat-form-field appearance="outline" class="confirm">
            <mat-label>Type {{ data.user.username }} to confirm</mat-label>
            <input
              #confirmInput
              matInput
              name="confirm"
              autocomplete="off"
              autocapitalize="none"
              spellcheck="false"
              [disabled]="erasing()"
              (input)="typed.set(confirmInput.value)"
            />
          </mat-form-field>
          @if (eraseError(); as error) {
            <p class="error" role="alert" data-testid="erase-error">{{ error }}</p>
          }
        }
      </mat-dialog-content>
      <mat-dialog-actions align="end">
        <button mat-button type="button" [disabled]="erasing()" (click)="cancel()">Cancel</button>
        @if (retryable()) {
          <button mat-stroked-button type="button" (click)="count()">Try again</button>
        }
        <button mat-flat-button class="danger" type="submit" [disabled]="!canErase()">
          @if (erasing()) {
            <mat-spinner diameter="18" aria-label="Erasing" />
          } @else {
            Erase account
          }
        </button>
      </mat-dialog-actions>
    </form>
  `,
  styles: `
    .lead { margin-top: 0; }
    .username { font-weight: 500; }
    .state { display: flex; align-items: center; gap: 12px; padding: 8px 0; }
    ul { margin: 4px 0 8px; padding-left: 20px; }
    li { margin: 2px 0; }
    .note { margin: 4px 0; color: var(--mat-sys-on-surface-variant); font: var(--mat-sys-body-small); }
    .warning { margin: 8px 0; padding: 8px 12px; border-radius: 8px;
      background: var(--mat-sys-error-container); color: var(--mat-sys-on-error-container); }
    .error { margin: 8px 0 0; color: var(--mat-sys-error); }
    .confirm { width: 100%; margin-top: 12px; }
    .danger { --mat-button-filled-container-color: var(--mat-sys-error); --mat-button-filled-label-text-color: var(--mat-sys-on-error); }
  `,
})
export class EraseUserDialog implements OnInit {
  protected readonly data = inject<EraseUserDialogData>(MAT_DIALOG_DATA);
  private readonly dialogRef = inject<MatDialogRef<EraseUserDialog, EraseUserDialogResult>>(MatDialogRef);
  private readonly api = inject(Api);

  protected readonly counting = signal(true);
  protected readonly counts = signal<ErasureCountsDto | null>(null);
  protected readonly countError = signal<string | null>(null);
  /** A dry run that failed for a passing reason (not LAST_ADMIN) can be tried again. */
  protected readonly retryable = signal(false);
  protected readonly typed = signal('');
  protected readonly erasing = signal(false);
  protected readonly eraseError = signal<string | null>(null);

  protected readonly parts = computed(() => {
    const counts = this.counts();
    return counts ? erasureParts(counts) : [];
  });
  protected readonly confirmed = computed(() => this.typed().trim().toLowerCase() === this.data.user.username);
  protected readonly canErase = computed(() => this.counts() !== null && this.confirmed() && !this.erasing());

  private readonly confirmInput = viewChild<ElementRef<HTMLInputElement>>('confirmInput');

  constructor() {
    // Once the counts are there, the next thing to do is to type the name.
    effect(() => this.confirmInput()?.nativeElement.focus());
  }

  ngOnInit(): void {
    void this.count();
  }

  protected async count(): Promise<void> {
    this.counting.set(true);
    this.countError.set(null);
    this.retryable.set(false);
    try {
      const result = await this.api.invoke(adminEraseUser, { id: this.data.user.id, dryRun: true });
      this.counts.set(result.counts);
    } catch (error) {
      if (errorCode(error) === 'USER_NOT_FOUND') {
        this.dialogRef.close({ outcome: 'gone' });
        return;
      }
      const lastAdmin = errorCode(error) === 'LAST_ADMIN';
      this.countError.set(lastAdmin ? describeError(error) : `Could not count what would be deleted. ${describeError(error)}`);
      this.retryable.set(!lastAdmin && !(error instanceof HttpErrorResponse && error.status === 403));
    } finally {
      this.counting.set(false);
    }
  }

  protected submit(event: Event): void {
    event.preventDefault();
    void this.erase();
  }

  protected async erase(): Promise<void> {
    if (!this.canErase()) return;
    this.erasing.set(true);
    this.eraseError.set(null);
    this.dialogRef.disableClose = true;
    try {
      const result = await this.api.invoke(adminEraseUser, { id: this.data.user.id });
      this.dialogRef.close({ outcome: 'erased', counts: result.counts });
    } catch (error) {
      if (errorCode(error) === 'USER_NOT_FOUND') {
        this.dialogRef.close({ outcome: 'gone' });
        return;
      }
      this.eraseError.set(describeError(error));
    } finally {
      this.erasing.set(false);
      this.dialogRef.disableClose = false;
    }
  }

  protected cancel(): void {
    this.dialogRef.close();
  }
}
