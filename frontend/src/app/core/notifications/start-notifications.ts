import { effect, inject, untracked } from '@angular/core';
import { AuthStore } from '../auth-store';
import { MessageNotifier } from './message-notifier';
import { PushSubscriber } from './push-subscriber';

/** Run once the signed-in part of the app is first opened: the unread badge, notifications, and push at each sign-in. */
export function startNotifications(): void {
  inject(MessageNotifier);
  const push = inject(PushSubscriber);
  const auth = inject(AuthStore);
  effect(() => {
    if (auth.user()?.id) untracked(() => void push.resume());
  });
}
