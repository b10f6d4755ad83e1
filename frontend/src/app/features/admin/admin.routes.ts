import type { Routes } from '@angular/router';

/** Under /admin, behind adminGuard (signed-in.routes.ts). */
export const adminRoutes: Routes = [
  {
    path: '',
    loadComponent: () => import('./admin-page').then((m) => m.AdminPage),
    children: [
      { path: '', pathMatch: 'full', redirectTo: 'users' },
      { path: 'users', title: 'Users · Admin · Iris', loadComponent: () => import('./admin-users-page').then((m) => m.AdminUsersPage) },
      { path: 'jobs', title: 'Jobs · Admin · Iris', loadComponent: () => import('./admin-jobs-page').then((m) => m.AdminJobsPage) },
      { path: 'audit', title: 'Audit trail · Admin · Iris', loadComponent: () => import('./admin-audit-page').then((m) => m.AdminAuditPage) },
    ],
  },
];
