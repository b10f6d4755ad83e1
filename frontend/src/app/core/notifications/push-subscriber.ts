import { effect, inject, Injectable, untracked } from '@angular/core';
import { SwPush } from '@angular/service-worker';
import { firstValueFrom } from 'rxjs';
import { Api } from '../../../sdk/api';
import { pushSubscribe } from '../../../sdk/fn/push/push-subscribe';
import { pushUnsubscribe } from '../../../sdk/fn/push/push-unsubscribe';
import { pushVapidPublicKey } from '../../../sdk/fn/push/push-vapid-public-key';
import type { CreatePushSubscriptionDto } from '../../../sdk/models/create-push-subscription-dto';
import { AuthStore } from '../auth-store';
import { NotificationPrefs } from './notification-prefs';

/**
 * Web Push for this browser (DESIGN.md §10): the service worker shows "New message" while every Iris
 * tab is closed. The server ties the subscription to this sign-in and forgets it at sign-out, so each
 * start of the signed-in app registers it again. The browser's subscription belongs to whoever is signed
 * in: when they sign out (or the session ends), it is unsubscribed, so the next account on this browser
 * never shares its endpoint and starts with push off (NotificationPrefs keeps the switch per account).
 */
@Injectable({ providedIn: 'root' })
export class PushSubscriber {
  private readonly swPush = inject(SwPush, { optional: true });
  private readonly api = inject(Api);
  private readonly prefs = inject(NotificationPrefs);
  private signedInAs: string | null = null;

  constructor() {
    const auth = inject(AuthStore);
    effect(() => {
      const id = auth.user()?.id ?? null;
      untracked(() => {
        const previous = this.signedInAs;
        this.signedInAs = id;
        if (previous !== null && previous !== id) void this.dropBrowserSubscription();
      });
    });
  }

  /** Whether this browser can receive pushes here (a service worker and the Push API). */
  get supported(): boolean {
    return !!this.swPush?.isEnabled;
  }

  /** Asks for the permission if needed, subscribes and registers with the server; false when refused. */
  async enable(): Promise<boolean> {
    if (!this.swPush?.isEnabled) return false;
    if ((await Notification.requestPermission()) !== 'granted') return false;
    const { publicKey } = await this.api.invoke(pushVapidPublicKey);
    const subscription =
      (await firstValueFrom(this.swPush.subscription)) ?? (await this.swPush.requestSubscription({ serverPublicKey: publicKey }));
    await this.register(subscription);
    this.prefs.set({ push: true });
    return true;
  }

  async disable(): Promise<void> {
    this.prefs.set({ push: false });
    const subscription = this.swPush?.isEnabled ? await firstValueFrom(this.swPush.subscription) : null;
    if (!subscription) return;
    await this.api.invoke(pushUnsubscribe, { body: { endpoint: subscription.endpoint } }).catch(() => undefined);
    await subscription.unsubscribe();
  }

  /** At the start of a signed-in session: registers the browser's subscription again if push is on. */
  async resume(): Promise<void> {
    if (!this.prefs.settings().push || !this.swPush?.isEnabled || Notification.permission !== 'granted') return;
    const subscription = await firstValueFrom(this.swPush.subscription);
    if (subscription) await this.register(subscription).catch(() => undefined);
    else await this.enable().catch(() => undefined);
  }

  /** The server forgot it with the session; the browser's push service forgets it here. */
  private async dropBrowserSubscription(): Promise<void> {
    if (!this.swPush?.isEnabled) return;
    const subscription = await firstValueFrom(this.swPush.subscription).catch(() => null);
    await subscription?.unsubscribe().catch(() => undefined);
  }

  private register(subscription: PushSubscription): Promise<void> {
    const { endpoint, keys } = subscription.toJSON();
    const body: CreatePushSubscriptionDto = { endpoint: endpoint ?? subscription.endpoint, keys: { p256dh: keys?.['p256dh'] ?? '', auth: keys?.['auth'] ?? '' } };
    return this.api.invoke(pushSubscribe, { body });
  }
}
