import { inject } from '@angular/core';
import { type CanActivateFn, Router } from '@angular/router';
import { AuthStore } from './auth-store';

export const signedInGuard: CanActivateFn = () =>
  inject(AuthStore).signedIn() || inject(Router).createUrlTree(['/sign-in']);

export const signedOutGuard: CanActivateFn = () =>
  !inject(AuthStore).signedIn() || inject(Router).createUrlTree(['/chats']);

/** The admin section: anyone else is sent to their chats. */
export const adminGuard: CanActivateFn = () =>
  inject(AuthStore).user()?.role === 'admin' || inject(Router).createUrlTree(['/chats']);
