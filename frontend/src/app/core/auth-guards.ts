import { inject } from '@angular/core';
import { type CanActivateFn, Router } from '@angular/router';
import { AuthStore } from './auth-store';

export const signedInGuard: CanActivateFn = () =>
  inject(AuthStore).signedIn() || inject(Router).createUrlTree(['/sign-in']);

export const signedOutGuard: CanActivateFn = () =>
  !inject(AuthStore).signedIn() || inject(Router).createUrlTree(['/chats']);
