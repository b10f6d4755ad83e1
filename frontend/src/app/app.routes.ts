import { computed, inject, signal } from '@angular/core';
import type { Routes } from '@angular/router';
import { adminGuard, signedInGuard, signedOutGuard } from './core/auth-guards';
import { AuthStore } from './core/auth-store';
import { provideShellTab } from './core/shell-tabs';
import { friendsTab } from './features/friends/friends-tab';

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
    loadComponent: () => import('./core/shell').then((m) => m.Shell),
    providers: [
      provideShellTab(() => signal({ path: '/chats', label: 'Chats' })),
      friendsTab,
      provideShellTab(() => signal({ path: '/settings', label: 'Settings' })),
      provideShellTab(() => {
        const auth = inject(AuthStore);
        return computed(() => (auth.user()?.role === 'admin' ? { path: '/admin', label: 'Admin' } : null));
      }),
    ],
    children: [
      { path: '', pathMatch: 'full', redirectTo: 'chats' },
      {
        path: 'chats',
        title: 'Chats · Iris',
        loadComponent: () => import('./features/chats/chat-list-page').then((m) => m.ChatListPage),
      },
      {
        path: 'chats/:id',
        title: 'Conversation · Iris',
        loadComponent: () => import('./features/chats/conversation').then((m) => m.Conversation),
      },
      {
        path: 'settings',
        title: 'Settings · Iris',
        loadComponent: () => import('./features/settings/settings-page').then((m) => m.SettingsPage),
      },
      {
        path: 'admin',
        canActivate: [adminGuard],
        loadChildren: () => import('./features/admin/admin.routes').then((m) => m.adminRoutes),
      },
      {
        path: 'friends',
        title: 'Friends · Iris',
        loadComponent: () => import('./features/friends/friends-page').then((m) => m.FriendsPage),
      },
    ],
  },
  { path: '**', redirectTo: '' },
];
