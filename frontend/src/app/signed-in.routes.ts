import { computed, inject, signal } from '@angular/core';
import type { Routes } from '@angular/router';
import { adminGuard } from './core/auth-guards';
import { AuthStore } from './core/auth-store';
import { Shell } from './core/shell';
import { provideShellTab } from './core/shell-tabs';
import { friendsTab } from './features/friends/friends-tab';

/** Everything behind sign-in (app.routes.ts): the shell, the tabs each feature adds to it, and the pages. */
export const signedInRoutes: Routes = [
  {
    path: '',
    component: Shell,
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
];
