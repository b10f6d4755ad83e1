import { ChangeDetectionStrategy, Component, effect, inject, input, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { ContactTrust } from '../../core/crypto/contact-trust';
import { VerificationService } from '../../core/crypto/verification-service';
import { Toasts } from '../../shared/toasts';

/** In the conversation header: "Verified" once the peer's identity is verified, else a "Verify <name>" action. */
@Component({
  selector: 'app-peer-verification',
  imports: [MatButtonModule],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @if (verified()) {
      <span class="verified" data-testid="verified-badge" [title]="name() + '’s identity is verified'">✓ Verified</span>
    } @else {
      <button mat-button type="button" class="verify" [attr.aria-label]="'Verify ' + name()" (click)="verify()">Verify<span class="whom"> {{ name() }}</span></button>
    }
  `,
  styles: `
    :host { flex: none; }
    .verified { font: var(--mat-sys-label-medium); color: var(--mat-sys-primary); white-space: nowrap; }
    /* A phone's header keeps the peer's name in view: the button says only "Verify" (its label keeps the name). */
    @media (max-width: 599px) { .whom { display: none; } }
  `,
})
export class PeerVerification {
  readonly userId = input.required<string>();
  readonly name = input('');
  private readonly trust = inject(ContactTrust);
  private readonly verification = inject(VerificationService);
  private readonly toasts = inject(Toasts);
  protected readonly verified = signal(false);

  constructor() {
    effect(() => {
      this.trust.version();
      const userId = this.userId();
      void this.trust.isVerified(userId).then((verified) => this.verified.set(verified));
    });
  }

  protected async verify(): Promise<void> {
    try {
      await this.verification.verifyUser(this.userId());
    } catch (error) {
      this.toasts.error(error);
    }
  }
}
