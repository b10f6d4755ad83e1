import type { Routes } from '@angular/router';
import { signedInGuard, signedOutGuard } from './core/auth-guards';

export const routes: Routes = [
  {
    path: 'sign-in',
    canActivate: [signedOutGuard],
    title: 'Sign in · Iris',
    loadComponent: () => import('./features/auth/sign-in').then((m) => m.SignIn),
  },
  {
    path: 'register',
    canActivate: [signedOutGuard],
    title: 'Create account · Iris',
    loadComponent: () => import('./features/auth/register').then((m) => m.Register),
  },
  {
    path: '',
    canActivate: [signedInGuard],
    loadChildren: () => import('./signed-in.routes').then((m) => m.signedInRoutes),
  },
  { path: '**', redirectTo: '' },
];
