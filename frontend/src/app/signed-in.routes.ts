import { computed, inject, provideEnvironmentInitializer, signal } from '@angular/core';
import type { Routes } from '@angular/router';
import { adminGuard } from './core/auth-guards';
import { AuthStore } from './core/auth-store';
import { startNotifications } from './core/notifications/start-notifications';
import { Shell } from './core/shell';
import { provideShellTab } from './core/shell-tabs';
import { friendsTab } from './features/friends/friends-tab';

/** Everything behind sign-in (app.routes.ts): the shell, the tabs each feature adds to it, and the pages. */
export const signedInRoutes: Routes = [
  {
    path: '',
    component: Shell,
    providers: [
      provideEnvironmentInitializer(startNotifications),
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
        loadComponent: () => import('./features/chats/chats-layout').then((m) => m.ChatsLayout),
        children: [
          {
            path: '',
            title: 'Chats · Iris',
            loadComponent: () => import('./features/chats/no-chat-open').then((m) => m.NoChatOpen),
          },
          {
            path: ':id',
            title: 'Conversation · Iris',
            loadComponent: () => import('./features/chats/conversation').then((m) => m.Conversation),
          },
        ],
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
