import { ChangeDetectionStrategy, Component, computed, effect, inject, untracked } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatDialog } from '@angular/material/dialog';
import type { SessionDto } from '../../../sdk/models/session-dto';
import { DeviceTrust } from '../../core/crypto/device-trust';
import { VerificationService } from '../../core/crypto/verification-service';
import { historyAtRisk, LastDeviceWarning } from '../../core/last-device-warning';
import { confirmAction } from '../../shared/confirm-dialog';
import { shortTime } from '../../shared/short-time';
import { Toasts } from '../../shared/toasts';
import { SessionsStore } from './sessions-store';

/** Settings › Sessions: every place the user is signed in, with a way to end any other one. */
@Component({
  selector: 'app-sessions-section',
  imports: [MatButtonModule],
  providers: [SessionsStore],
  changeDetection: ChangeDetectionStrategy.OnPush,
  styleUrl: './settings-section.scss',
  template: `
    <section class="card" aria-labelledby="sessions-title">
      <h2 id="sessions-title">Sessions</h2>
      <p class="text">
        Where you are signed in. If you do not recognise one, revoke it: it is signed out at once, and its
        encryption device goes with it. Then change your password.
      </p>
      @if (store.loadFailed() && !store.sessions()) {
        <p class="form-error" role="alert">Your sessions could not be loaded.</p>
        <div class="actions"><button mat-stroked-button type="button" (click)="store.load()">Try again</button></div>
      } @else if (store.sessions(); as sessions) {
        <ul class="sessions" aria-label="Signed-in sessions">
          @for (session of sessions; track session.id) {
            <li class="session" [attr.aria-current]="session.current ? 'true' : null">
              <div class="what">
                <span class="name">{{ session.deviceName }}</span>
                @if (session.current) {
                  <span class="badge">This device</span>
                }
              </div>
              <div class="details">
                {{ details(session) }}
              </div>
              @if (canVerify(session)) {
                <button
                  mat-stroked-button
                  type="button"
                  class="verify"
                  [attr.aria-label]="'Verify ' + session.deviceName + ', signed in ' + when(session.createdAt)"
                  (click)="verify(session)"
                >
                  Verify
                </button>
              }
              @if (!session.current) {
                <button
                  mat-stroked-button
                  type="button"
                  class="revoke"
                  [disabled]="store.busy().has(session.id)"
                  [attr.aria-label]="'Revoke ' + session.deviceName + ', signed in ' + when(session.createdAt)"
                  (click)="revoke(session)"
                >
                  Revoke
                </button>
              }
            </li>
          }
        </ul>
        @if (others() > 0) {
          <div class="actions">
            <button mat-flat-button type="button" [disabled]="store.busy().has('others')" (click)="revokeOthers()">Revoke all other sessions</button>
          </div>
        }
      } @else {
        <p class="text" role="status">Loading your sessions…</p>
      }
    </section>
  `,
  styles: `
    .sessions { list-style: none; margin: 0 0 8px; padding: 0; }
    .session { display: grid; grid-template-columns: 1fr auto; gap: 2px 12px; align-items: center; padding: 10px 0; border-top: 1px solid var(--mat-sys-outline-variant); }
    .session:first-child { border-top: 0; }
    .what { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
    .name { font: var(--mat-sys-title-small); }
    .badge { font: var(--mat-sys-label-small); padding: 2px 8px; border-radius: 999px; background: var(--mat-sys-secondary-container); color: var(--mat-sys-on-secondary-container); }
    .details { grid-column: 1; font: var(--mat-sys-body-small); color: var(--mat-sys-on-surface-variant); }
    .revoke, .verify { grid-row: 1 / span 2; }
    .session:has(.verify) { grid-template-columns: 1fr auto auto; }
  `,
})
export class SessionsSection {
  protected readonly store = inject(SessionsStore);
  private readonly dialog = inject(MatDialog);
  private readonly toasts = inject(Toasts);
  private readonly trust = inject(DeviceTrust);
  private readonly verification = inject(VerificationService);
  private readonly lastDevice = inject(LastDeviceWarning);
  protected readonly others = computed(() => (this.store.sessions() ?? []).filter((session) => !session.current).length);

  constructor() {
    void this.store.load();
    // A verification that finished changes which devices are verified.
    let seen = untracked(() => this.verification.completed());
    effect(() => {
      if (this.verification.completed() !== seen) {
        seen = this.verification.completed();
        untracked(() => void this.store.load());
      }
    });
  }

  /** Another device of the user's that its identity does not vouch for, when this browser can sign it. */
  protected canVerify(session: SessionDto): boolean {
    return !session.current && session.e2ee !== null && !session.e2ee.verified && this.trust.status()?.canSign === true;
  }

  protected async verify(session: SessionDto): Promise<void> {
    try {
      await this.verification.verifyOwnDevice(session.e2ee!.deviceId);
    } catch (error) {
      this.toasts.error(error);
    }
  }

  protected when(iso: string): string {
    return shortTime(iso);
  }

  protected details(session: SessionDto): string {
    const parts = [`Signed in ${shortTime(session.createdAt)}`, `active ${shortTime(session.lastActiveAt)}`];
    if (session.ip) parts.push(session.ip);
    if (session.e2ee) parts.push(session.e2ee.verified ? 'verified encryption device' : 'encryption device');
    return parts.join(' · ');
  }

  protected async revoke(session: SessionDto): Promise<void> {
    const sessions = this.store.sessions() ?? [];
    const confirmed = historyAtRisk(sessions, [session.id], this.trust.status()?.backup != null)
      ? await this.lastDevice.confirm('revoke')
      : await confirmAction(this.dialog, {
          title: 'Revoke this session?',
          message: `${session.deviceName} will be signed out at once. Messages it has not decrypted yet stay unreadable there.`,
          confirm: 'Revoke',
        });
    if (!confirmed) return;
    try {
      await this.store.revoke(session.id);
      this.toasts.info(`${session.deviceName} is signed out.`);
    } catch (error) {
      this.toasts.error(error);
      void this.store.load();
    }
  }

  protected async revokeOthers(): Promise<void> {
    const confirmed = await confirmAction(this.dialog, {
      title: 'Revoke all other sessions?',
      message: 'Every other session is signed out at once. This device stays signed in.',
      confirm: 'Revoke others',
    });
    if (!confirmed) return;
    try {
      const revoked = await this.store.revokeOthers();
      this.toasts.info(revoked === 1 ? '1 other session is signed out.' : `${revoked} other sessions are signed out.`);
    } catch (error) {
      this.toasts.error(error);
    }
  }
}
