import { computed, inject, Injectable, signal } from '@angular/core';
import { AuthStore } from '../auth-store';

const KEY = 'iris.notifications';

export interface NotificationSettings {
  /** Desktop notifications while the tab is hidden (needs the browser's permission too). */
  desktop: boolean;
  /** A short tone for a new message. */
  sound: boolean;
  /** Show the message in desktop notifications, as the chat list describes it; off: "New message from Bob". */
  previews: boolean;
  /** Web Push to this browser while every Iris tab is closed: per account, for the signed-in one. */
  push: boolean;
  /** The chat list's one-time "turn on notifications" banner was answered. */
  bannerDone: boolean;
}

type BrowserSettings = Omit<NotificationSettings, 'push'>;

interface Stored extends BrowserSettings {
  /** The accounts that turned push on in this browser. */
  pushUsers: string[];
}

const DEFAULTS: Stored = { desktop: false, sound: false, previews: false, bannerDone: false, pushUsers: [] };

/**
 * The notification switches of this browser, kept in localStorage (they are per device, like the
 * permission). Push belongs to the account too: when two people use the same browser one after the
 * other, the second starts with push off, and the first finds it on again at their next sign-in.
 */
@Injectable({ providedIn: 'root' })
export class NotificationPrefs {
  private readonly auth = inject(AuthStore);
  private readonly state = signal<Stored>(read());
  readonly settings = computed<NotificationSettings>(() => {
    const { pushUsers, ...browser } = this.state();
    const userId = this.auth.user()?.id;
    return { ...browser, push: !!userId && pushUsers.includes(userId) };
  });

  set(changes: Partial<NotificationSettings>): void {
    const { push, ...browser } = changes;
    const userId = this.auth.user()?.id;
    this.state.update((current) => {
      const others = current.pushUsers.filter((id) => id !== userId);
      const pushUsers = push === undefined || !userId ? current.pushUsers : push ? [...others, userId] : others;
      return { ...current, ...browser, pushUsers };
    });
    try {
      localStorage.setItem(KEY, JSON.stringify(this.state()));
    } catch {
      // Storage refused (private mode, quota): the switch holds for this tab only.
    }
  }
}

function read(): Stored {
  try {
    const stored = JSON.parse(localStorage.getItem(KEY) ?? '{}') as Partial<Stored>;
    const flags = Object.fromEntries(
      (Object.keys(DEFAULTS) as (keyof Stored)[])
        .filter((key) => key !== 'pushUsers')
        .map((key) => [key, typeof stored[key] === 'boolean' ? stored[key] : DEFAULTS[key]]),
    ) as unknown as BrowserSettings;
    const pushUsers = Array.isArray(stored.pushUsers) ? stored.pushUsers.filter((id): id is string => typeof id === 'string') : [];
    return { ...flags, pushUsers };
  } catch {
    return { ...DEFAULTS };
  }
}
