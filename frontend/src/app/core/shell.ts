import { ChangeDetectionStrategy, Component, computed, effect, inject } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatToolbarModule } from '@angular/material/toolbar';
import { Router, RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router';
import { Avatar } from '../shared/avatar';
import { Icon } from '../shared/icon';
import { AuthStore } from './auth-store';
import { Realtime } from './realtime';
import { SHELL_TABS } from './shell-tabs';
import { ThemeService } from './theme';

/** The signed-in frame: a top bar with the user, the theme toggle and sign out, above the page. */
@Component({
  selector: 'app-shell',
  imports: [RouterOutlet, RouterLink, RouterLinkActive, MatToolbarModule, MatButtonModule, Avatar, Icon],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <mat-toolbar class="bar">
      <a class="brand" routerLink="/chats">Iris</a>
      <nav class="tabs" aria-label="Main">
        @for (tab of tabs(); track tab.path) {
          <a class="tab" [routerLink]="tab.path" routerLinkActive="active" ariaCurrentWhenActive="page"
            [attr.aria-label]="tab.badge ? tab.label + ', ' + tab.badgeLabel : null"
            >{{ tab.label }}@if (tab.badge) {<span class="tab-badge" data-testid="tab-badge">{{ tab.badge }}</span>}</a
          >
        }
      </nav>
      <span class="spacer"></span>
      @if (auth.user(); as user) {
        <span class="me" data-testid="current-user">
          <app-avatar [name]="user.displayName" size="small" />
          <span class="me-name">{{ user.displayName }}</span>
        </span>
      }
      <button
        mat-icon-button
        type="button"
        (click)="theme.toggle()"
        [attr.aria-label]="theme.theme() === 'dark' ? 'Switch to light theme' : 'Switch to dark theme'"
        [attr.title]="theme.theme() === 'dark' ? 'Light theme' : 'Dark theme'"
      >
        <app-icon [name]="theme.theme() === 'dark' ? 'light-mode' : 'dark-mode'" />
      </button>
      <button mat-icon-button type="button" (click)="signOut()" aria-label="Sign out" title="Sign out">
        <app-icon name="logout" />
      </button>
    </mat-toolbar>
    @if (realtime.reconnecting()) {
      <div class="banner" role="status">Reconnecting…</div>
    }
    <main class="content">
      <router-outlet />
    </main>
  `,
  styles: `
    .banner { padding: 4px 16px; text-align: center; font: var(--mat-sys-label-medium);
      background: var(--mat-sys-tertiary-container); color: var(--mat-sys-on-tertiary-container); }
    :host { display: flex; flex-direction: column; min-height: 100dvh; }
    .bar { position: sticky; top: 0; z-index: 2; gap: 4px; padding: 0 8px 0 16px;
      background: var(--mat-sys-surface-container); color: var(--mat-sys-on-surface); }
    .brand { font: var(--mat-sys-title-large); color: var(--mat-sys-primary); text-decoration: none; }
    .spacer { flex: 1; }
    .tabs { display: flex; gap: 2px; margin-left: 12px; overflow-x: auto; }
    .tab { padding: 6px 10px; border-radius: 16px; color: var(--mat-sys-on-surface-variant);
      text-decoration: none; font: var(--mat-sys-label-large); white-space: nowrap; }
    .tab:hover, .tab:focus-visible { background: var(--mat-sys-surface-container-highest); }
    .tab-badge { display: inline-grid; place-items: center; min-width: 18px; height: 18px; margin-left: 6px; padding: 0 5px;
      box-sizing: border-box; border-radius: 9px; font: var(--mat-sys-label-small); vertical-align: 1px;
      background: var(--mat-sys-error); color: var(--mat-sys-on-error); }
    .tab.active { background: var(--mat-sys-secondary-container); color: var(--mat-sys-on-secondary-container); }
    .me { display: inline-flex; align-items: center; gap: 8px; min-width: 0; font: var(--mat-sys-body-medium); }
    .me-name { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; max-width: 30vw; }
    .content { flex: 1; width: 100%; max-width: 760px; margin: 0 auto; box-sizing: border-box; }
    @media (max-width: 480px) { .me-name { display: none; } .bar { padding: 0 4px 0 12px; } .tab { padding: 6px 8px; } }
    /* On a phone the Chats tab leads to the same place as the brand. */
    @media (max-width: 420px) { .brand { display: none; } .tabs { margin-left: 0; } }
  `,
})
export class Shell {
  protected readonly auth = inject(AuthStore);
  protected readonly theme = inject(ThemeService);
  private readonly router = inject(Router);
  /** The socket lives while the user is signed in, whichever page is open. */
  protected readonly realtime = inject(Realtime);
  private readonly shellTabs = inject(SHELL_TABS);
  /** The main sections; each feature adds its own entry next to its route in signed-in.routes.ts. */
  protected readonly tabs = computed(() => this.shellTabs.map((tab) => tab()).filter((tab) => tab !== null));

  constructor() {
    // However the session ended (sign out, revoked elsewhere, refresh refused), go to the sign-in page.
    effect(() => {
      if (!this.auth.signedIn()) void this.router.navigateByUrl('/sign-in');
    });
  }

  protected async signOut(): Promise<void> {
    await this.auth.signOut();
  }
}
