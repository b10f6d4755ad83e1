import { inject, Injectable } from '@angular/core';
import { Toasts } from '../shared/toasts';
import { Realtime } from './realtime';

/** Tells the user when their account is signed in somewhere else, so a sign-in they did not make is noticed. */
@Injectable({ providedIn: 'root' })
export class SignInAlerts {
  constructor() {
    const toasts = inject(Toasts);
    inject(Realtime)
      .on('session.created')
      .subscribe((session) => toasts.info(`New sign-in on ${session.deviceName}. Not you? Revoke it in Settings › Sessions.`));
  }
}
