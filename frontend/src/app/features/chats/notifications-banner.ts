import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { NotificationSwitches } from '../../core/notifications/notification-switches';

/** Offers notifications once, above the chat list, until the user answers either way. */
@Component({
  selector: 'app-notifications-banner',
  imports: [MatButtonModule],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @if (shown()) {
      <div class="banner" role="region" aria-label="Notifications" data-testid="notifications-banner">
        <p>Get notified of new messages while Iris is in the background?</p>
        <button mat-flat-button type="button" (click)="switches.turnOn()">Turn on</button>
        <button mat-button type="button" (click)="switches.dismissBanner()">Not now</button>
      </div>
    }
  `,
  styles: `
    .banner { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; margin: 0 8px 8px; padding: 8px 12px;
      border-radius: var(--mat-sys-corner-medium); background: var(--mat-sys-secondary-container); color: var(--mat-sys-on-secondary-container); }
    p { flex: 1 1 220px; margin: 0; font: var(--mat-sys-body-medium); }
  `,
})
export class NotificationsBanner {
  protected readonly switches = inject(NotificationSwitches);
  protected readonly shown = computed(() => {
    const { desktop, bannerDone } = this.switches.settings();
    const permission = this.switches.permission();
    return !bannerDone && !(desktop && permission === 'granted') && permission !== 'denied' && permission !== 'unsupported';
  });
}
