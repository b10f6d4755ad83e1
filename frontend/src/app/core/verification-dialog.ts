import { ChangeDetectionStrategy, Component, computed, effect, inject, Injectable, untracked } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatDialog, MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { VerificationService } from './crypto/verification-service';

/** The emoji verification in progress: accept it, compare the seven emoji with the other screen, confirm. */
@Component({
  selector: 'app-verification-dialog',
  imports: [MatDialogModule, MatButtonModule],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @if (view(); as v) {
      <h2 mat-dialog-title>{{ v.self ? 'Verify your other device' : 'Verify this contact' }}</h2>
      <mat-dialog-content>
        @switch (v.phase) {
          @case ('incoming') {
            <p>{{ v.self ? 'Another of your devices' : 'A contact' }} wants to verify with you by comparing emoji.</p>
          }
          @case ('waiting') {
            <p data-testid="verification-waiting">Waiting for the other side to accept…</p>
          }
          @case ('emoji') {
            <p>Check that the other screen shows the same emoji in the same order.</p>
            <ol class="emoji" data-testid="verification-emoji">
              @for (e of v.emoji; track $index) {
                <li><span class="symbol">{{ e.symbol }}</span><span class="description">{{ e.description }}</span></li>
              }
            </ol>
          }
          @case ('confirmed') {
            <p>Waiting for the other side to confirm…</p>
          }
          @case ('done') {
            <p role="status">Verified. Messages from and to {{ v.self ? 'that device' : 'this contact' }} are now checked against this verification.</p>
          }
          @case ('cancelled') {
            <p role="alert">The verification was cancelled{{ v.cancelReason ? ': ' + v.cancelReason : '' }}.</p>
          }
        }
      </mat-dialog-content>
      <mat-dialog-actions align="end">
        @switch (v.phase) {
          @case ('incoming') {
            <button mat-button type="button" (click)="verification.cancel()">Decline</button>
            <button mat-flat-button type="button" (click)="verification.accept()">Accept</button>
          }
          @case ('emoji') {
            <button mat-button type="button" (click)="verification.cancel(true)">They don't match</button>
            <button mat-flat-button type="button" (click)="verification.confirm()">They match</button>
          }
          @case ('done') {
            <button mat-flat-button type="button" (click)="close()">Done</button>
          }
          @case ('cancelled') {
            <button mat-button type="button" (click)="close()">Close</button>
          }
          @default {
            <button mat-button type="button" (click)="verification.cancel()">Cancel</button>
          }
        }
      </mat-dialog-actions>
    }
  `,
  styles: `
    .emoji { display: grid; grid-template-columns: repeat(auto-fill, minmax(72px, 1fr)); gap: 8px; padding: 0; list-style: none; }
    .emoji li { display: flex; flex-direction: column; align-items: center; gap: 4px; }
    .symbol { font-size: 32px; }
    .description { font: var(--mat-sys-label-medium); }
  `,
})
export class VerificationDialog {
  protected readonly verification = inject(VerificationService);
  private readonly ref = inject(MatDialogRef<VerificationDialog>);
  protected readonly view = computed(() => this.verification.current());

  protected close(): void {
    this.verification.dismiss();
    this.ref.close();
  }
}

/** Opens the verification dialog whenever a verification starts or comes in. */
@Injectable({ providedIn: 'root' })
export class VerificationPrompter {
  private open: MatDialogRef<VerificationDialog> | null = null;

  constructor() {
    const verification = inject(VerificationService);
    const dialog = inject(MatDialog);
    effect(() => {
      const flow = verification.current()?.flowId ?? null;
      untracked(() => {
        if (flow && !this.open) {
          this.open = dialog.open(VerificationDialog, { width: '440px', ariaLabel: 'Emoji verification' });
          this.open.afterClosed().subscribe(() => {
            this.open = null;
            verification.dismiss();
          });
        }
      });
    });
  }
}

