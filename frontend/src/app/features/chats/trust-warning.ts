import { ChangeDetectionStrategy, Component, effect, inject, input, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { ContactTrust } from '../../core/crypto/contact-trust';
import type { SendingProblem } from '../../core/crypto/trust-decisions';
import { VerificationService } from '../../core/crypto/verification-service';
import { Icon } from '../../shared/icon';

/**
 * Above the composer, before the next send: a verified contact's identity changed, or they have a
 * device their identity does not vouch for. Nothing is sent (no key shared) until the user verifies
 * again or chooses to send anyway.
 */
@Component({
  selector: 'app-trust-warning',
  imports: [MatButtonModule, Icon],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @if (problems().length > 0) {
      <div class="warning" role="alert" data-testid="trust-warning">
        <app-icon name="warning" />
        <p>
          @for (problem of problems(); track problem.kind) {
            @if (problem.kind === 'identity-changed') {
              {{ name() }}’s identity changed since you verified it. They may have reset it, or someone may be pretending to be them.
            } @else {
              {{ name() }} has a new device that they have not verified. It could be theirs, or someone else’s.
            }
          }
          Your messages will not go out until you decide.
        </p>
        <div class="actions">
          <button mat-button type="button" (click)="reverify()">Verify again</button>
          <button mat-flat-button type="button" (click)="sendAnyway()">Send anyway</button>
        </div>
      </div>
    }
  `,
  styles: `
    .warning { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; margin: 0 8px 8px; padding: 8px 12px; border-radius: var(--mat-sys-corner-medium);
      background: var(--mat-sys-error-container); color: var(--mat-sys-on-error-container); --icon-size: 20px; }
    p { flex: 1 1 240px; margin: 0; font: var(--mat-sys-body-medium); }
    .actions { display: flex; gap: 8px; margin-left: auto; }
  `,
})
export class TrustWarning {
  readonly userId = input.required<string>();
  readonly name = input('');
  private readonly trust = inject(ContactTrust);
  private readonly verification = inject(VerificationService);
  protected readonly problems = signal<SendingProblem[]>([]);

  constructor() {
    effect(() => {
      this.trust.version();
      const userId = this.userId();
      void this.trust.problems(userId).then((problems) => this.problems.set(problems), () => undefined);
    });
  }

  protected async reverify(): Promise<void> {
    await this.verification.verifyUser(this.userId()).catch(() => undefined);
  }

  protected async sendAnyway(): Promise<void> {
    await this.trust.accept(this.problems());
    this.problems.set(await this.trust.problems(this.userId()));
  }
}
