import { afterNextRender, ChangeDetectionStrategy, Component, computed, effect, type ElementRef, inject, Injector, viewChild } from '@angular/core';
import { takeUntilDestroyed, toSignal } from '@angular/core/rxjs-interop';
import { MatButtonModule } from '@angular/material/button';
import { MatToolbarModule } from '@angular/material/toolbar';
import { NavigationEnd, Router, RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router';
import { filter, map, skip } from 'rxjs';
import { UnsentWarning } from '../features/chats/outbox/unsent-warning';
import { Avatar } from '../shared/avatar';
import { Icon } from '../shared/icon';
import { AuthStore } from './auth-store';
import { LastDeviceWarning } from './last-device-warning';
import { Realtime } from './realtime';
import { SignInAlerts } from './sign-in-alerts';
import { SHELL_TABS } from './shell-tabs';
import { ThemeService } from './theme';

/** The signed-in frame: a top bar with the user, the theme toggle and sign out, above the page. */
@Component({
  selector: 'app-shell',
  imports: [RouterOutlet, RouterLink, RouterLinkActive, MatToolbarModule, MatButtonModule, Avatar, Icon],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <a class="skip-link" href="#main" (click)="skipToMain($event)">Skip to content</a>
    <header class="top">
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
          <app-avatar [name]="user.displayName" [user]="user" size="small" />
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
    @if (auth.offline()) {
      <div class="banner" role="status" data-testid="offline-banner">Offline. Unsent messages wait in the outbox.</div>
    } @else if (realtime.reconnecting()) {
      <div class="banner" role="status">Reconnecting…</div>
    }
    </header>
    <main class="content" id="main" tabindex="-1" #main [class.wide]="wide()">
      <router-outlet />
    </main>
  `,
  styles: `
    /* Over the page, not above it: the composer stays on screen while the connection comes back. */
    .banner { position: absolute; top: 100%; left: 50%; transform: translateX(-50%); margin-top: 4px; padding: 4px 16px;
      border-radius: 16px; white-space: nowrap; font: var(--mat-sys-label-large); box-shadow: var(--mat-sys-level2);
      background: var(--mat-sys-inverse-surface); color: var(--mat-sys-inverse-on-surface); }
    :host { display: flex; flex-direction: column; min-height: 100dvh; --shell-bar-height: 64px; }
    .top { position: sticky; top: 0; z-index: 3; }
    .bar { gap: 4px; padding: 0 8px 0 16px; background: var(--mat-sys-surface-container); color: var(--mat-sys-on-surface); }
    .skip-link { position: absolute; left: 8px; top: -48px; z-index: 4; padding: 8px 16px; border-radius: 8px;
      background: var(--mat-sys-primary); color: var(--mat-sys-on-primary); font: var(--mat-sys-label-large); }
    .skip-link:focus { top: 8px; }
    .content:focus { outline: none; }
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
    .content.wide { max-width: 1440px; }
    /* Material's toolbar is 56 px high below 600 px. */
    @media (max-width: 599px) { :host { --shell-bar-height: 56px; } }
    @media (max-width: 480px) { .me { display: none; } .bar { gap: 0; padding: 0 4px 0 8px; } .tab { padding: 6px 7px; } }
    /* On a phone the Chats tab leads to the same place as the brand. */
    @media (max-width: 420px) { .brand { display: none; } .tabs { margin-left: 0; } }
  `,
})
export class Shell {
  protected readonly auth = inject(AuthStore);
  protected readonly theme = inject(ThemeService);
  private readonly router = inject(Router);
  private readonly lastDevice = inject(LastDeviceWarning);
  /** The socket lives while the user is signed in, whichever page is open. */
  protected readonly realtime = inject(Realtime);
  private readonly signInAlerts = inject(SignInAlerts);
  private readonly unsent = inject(UnsentWarning);
  private readonly shellTabs = inject(SHELL_TABS);
  /** The main sections; each feature adds its own entry next to its route in signed-in.routes.ts. */
  protected readonly tabs = computed(() => this.shellTabs.map((tab) => tab()).filter((tab) => tab !== null));
  private readonly main = viewChild.required<ElementRef<HTMLElement>>('main');
  private readonly injector = inject(Injector);
  private readonly navigated = this.router.events.pipe(filter((event) => event instanceof NavigationEnd));
  /** The chats use the whole width for their two panes. */
  protected readonly wide = toSignal(this.navigated.pipe(map((event) => isChats(event.urlAfterRedirects))), {
    initialValue: isChats(this.router.url),
  });

  constructor() {
    // After a move to another page, a screen reader starts at the new page rather than at the link that led there.
    this.navigated.pipe(skip(1), takeUntilDestroyed()).subscribe(() => afterNextRender(() => this.focusPage(), { injector: this.injector }));
    // A new name or picture saved on another device shows here too.
    this.realtime
      .on('user.updated')
      .pipe(takeUntilDestroyed())
      .subscribe(({ id, displayName, avatarVersion }) => {
        const me = this.auth.user();
        if (me?.id === id) this.auth.updateUser({ ...me, displayName, avatarVersion });
      });
    // However the session ended (sign out, revoked elsewhere, refresh refused), go to the sign-in page.
    effect(() => {
      if (!this.auth.signedIn()) void this.router.navigateByUrl('/sign-in');
    });
  }

  protected skipToMain(event: Event): void {
    event.preventDefault();
    this.focusPage(true);
  }

  /** Focuses the page's heading (or the page), unless the page already put the focus in it. */
  private focusPage(always = false): void {
    const main = this.main().nativeElement;
    if (!always && main.contains(document.activeElement)) return;
    // In two panes the open conversation's heading comes after the list's.
    const heading = [...main.querySelectorAll<HTMLElement>('h1')].filter((h1) => h1.checkVisibility?.() ?? true).at(-1);
    if (heading) {
      if (!heading.hasAttribute('tabindex')) heading.setAttribute('tabindex', '-1');
      heading.focus();
    } else {
      main.focus();
    }
  }

  protected async signOut(): Promise<void> {
    if (!(await this.unsent.confirmSignOut())) return;
    if (!(await this.lastDevice.confirmSignOut())) return;
    await this.auth.signOut();
  }
}

function isChats(url: string): boolean {
  return url === '/chats' || url.startsWith('/chats/') || url.startsWith('/chats?');
}
