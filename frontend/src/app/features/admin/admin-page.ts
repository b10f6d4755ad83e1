import { ChangeDetectionStrategy, Component } from '@angular/core';
import { RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router';

/** The admin section: users, job runs and the audit trail, each a child route. */
@Component({
  selector: 'app-admin-page',
  imports: [RouterOutlet, RouterLink, RouterLinkActive],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <h1 class="title">Administration</h1>
    <nav class="sections" aria-label="Administration">
      @for (section of sections; track section.path) {
        <a class="section" [routerLink]="section.path" routerLinkActive="active" ariaCurrentWhenActive="page">{{ section.label }}</a>
      }
    </nav>
    <router-outlet />
  `,
  styles: `
    :host { display: block; }
    .title { margin: 0; padding: 16px 16px 8px; font: var(--mat-sys-title-large); }
    .sections { display: flex; gap: 4px; padding: 0 16px; margin-bottom: 8px; border-bottom: 1px solid var(--mat-sys-outline-variant);
      overflow-x: auto; }
    .section { padding: 10px 14px; color: var(--mat-sys-on-surface-variant); text-decoration: none;
      font: var(--mat-sys-title-small); border-bottom: 3px solid transparent; white-space: nowrap; }
    .section:hover, .section:focus-visible { color: var(--mat-sys-on-surface); background: var(--mat-sys-surface-container); }
    .section.active { color: var(--mat-sys-primary); border-bottom-color: var(--mat-sys-primary); }
  `,
})
export class AdminPage {
  protected readonly sections = [
    { path: 'users', label: 'Users' },
    { path: 'jobs', label: 'Jobs' },
    { path: 'audit', label: 'Audit trail' },
  ];
}
