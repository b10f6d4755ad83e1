import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { MatSlideToggleModule } from '@angular/material/slide-toggle';
import { NotificationSwitches } from '../../core/notifications/notification-switches';

/** Desktop notifications, their text, the sound and push on this device; all remembered by this browser. */
@Component({
  selector: 'app-notification-settings',
  imports: [MatSlideToggleModule],
  changeDetection: ChangeDetectionStrategy.OnPush,
  styleUrl: './settings-section.scss',
  template: `
    <section class="card" aria-labelledby="notifications-title" data-testid="notification-settings">
      <h2 id="notifications-title">Notifications</h2>
      @if (switches.permission() === 'unsupported') {
        <p class="hint">This browser cannot show notifications.</p>
      } @else {
        <div class="switches">
          <mat-slide-toggle [checked]="settings().desktop && switches.permission() === 'granted'" (change)="switches.setDesktop($event.checked)">
            Desktop notifications while Iris is in the background
          </mat-slide-toggle>
          <mat-slide-toggle [checked]="settings().previews" [disabled]="!settings().desktop" (change)="switches.setPreviews($event.checked)">
            Show the message text in them
          </mat-slide-toggle>
          @if (switches.pushSupported) {
            <mat-slide-toggle [checked]="settings().push && switches.permission() === 'granted'" (change)="switches.setPush($event.checked)">
              Notify me when Iris is closed (this device)
            </mat-slide-toggle>
          }
        </div>
        @if (switches.permission() === 'denied') {
          <p class="hint" role="status">Your browser blocks notifications from Iris: allow them in its site settings.</p>
        }
      }
      <div class="switches">
        <mat-slide-toggle [checked]="settings().sound" (change)="switches.setSound($event.checked)">Play a sound for new messages</mat-slide-toggle>
      </div>
      <p class="hint">
        Without the text, a notification says only "New message from …". A notification of a closed Iris says just "New message":
        the server sends no name and no text through the push service. Muted chats (the bell in a chat) never notify.
      </p>
    </section>
  `,
  styles: `
    .switches { display: flex; flex-direction: column; gap: 8px; margin-bottom: 12px; }
  `,
})
export class NotificationSettings {
  protected readonly switches = inject(NotificationSwitches);
  protected readonly settings = this.switches.settings;
}
