import { inject, Injectable, signal } from '@angular/core';
import { NotificationPrefs } from './notification-prefs';
import { PushSubscriber } from './push-subscriber';

export type Permission = NotificationPermission | 'unsupported';

const currentPermission = (): Permission => (typeof Notification === 'undefined' ? 'unsupported' : Notification.permission);

/**
 * Turning notifications on and off, for Settings and the chat list's banner. The browser's permission
 * is asked for only here, after a click: never when a page loads.
 */
@Injectable({ providedIn: 'root' })
export class NotificationSwitches {
  private readonly prefs = inject(NotificationPrefs);
  private readonly push = inject(PushSubscriber);
  private readonly permissionState = signal<Permission>(currentPermission());
  readonly permission = this.permissionState.asReadonly();
  readonly settings = this.prefs.settings;

  get pushSupported(): boolean {
    return this.push.supported;
  }

  /** Desktop notifications, and push too where the browser has it; false when the permission was refused. */
  async turnOn(): Promise<boolean> {
    if (!(await this.askPermission())) return false;
    this.prefs.set({ desktop: true, bannerDone: true });
    if (this.push.supported) await this.push.enable().catch(() => false);
    return true;
  }

  async setDesktop(on: boolean): Promise<void> {
    if (on && !(await this.askPermission())) return;
    this.prefs.set({ desktop: on });
  }

  async setPush(on: boolean): Promise<void> {
    if (on) await this.push.enable().catch(() => false);
    else await this.push.disable();
    this.permissionState.set(currentPermission());
  }

  setSound(on: boolean): void {
    this.prefs.set({ sound: on });
  }

  setPreviews(on: boolean): void {
    this.prefs.set({ previews: on });
  }

  dismissBanner(): void {
    this.prefs.set({ bannerDone: true });
  }

  private async askPermission(): Promise<boolean> {
    if (typeof Notification === 'undefined') return false;
    const answer = Notification.permission === 'default' ? await Notification.requestPermission() : Notification.permission;
    this.permissionState.set(answer);
    return answer === 'granted';
  }
}
