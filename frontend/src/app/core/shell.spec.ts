import { computed, signal } from '@angular/core';
import { NEVER } from 'rxjs';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { AuthStore } from './auth-store';
import { Realtime } from './realtime';
import { Shell } from './shell';
import { provideShellTab } from './shell-tabs';
import { ThemeService } from './theme';
import { UnsentWarning } from '../features/chats/outbox/unsent-warning';

describe('Shell', () => {
  it('shows the tabs the features provide, in their order, with their counts, leaving out hidden ones', () => {
    const requests = signal(0);
    TestBed.configureTestingModule({
      providers: [
        provideRouter([]),
        { provide: AuthStore, useValue: { user: signal({ displayName: 'Ann Example' }), signedIn: signal(true), offline: signal(false), signOut: vi.fn() } },
        { provide: Realtime, useValue: { reconnecting: signal(false), on: () => NEVER } },
        { provide: ThemeService, useValue: { theme: signal('light'), toggle: vi.fn() } },
        { provide: UnsentWarning, useValue: { confirmSignOut: async () => true } },
        provideShellTab(() => signal({ path: '/chats', label: 'Chats' })),
        provideShellTab(() => computed(() => ({ path: '/friends', label: 'Friends', badge: requests(), badgeLabel: `${requests()} requests` }))),
        provideShellTab(() => signal(null)),
      ],
    });
    const fixture = TestBed.createComponent(Shell);
    fixture.detectChanges();
    const element = fixture.nativeElement as HTMLElement;
    const tabs = () => [...element.querySelectorAll<HTMLAnchorElement>('a.tab')];

    expect(tabs().map((tab) => tab.textContent?.trim())).toEqual(['Chats', 'Friends']);
    expect(element.querySelector('[data-testid="tab-badge"]')).toBeNull();

    requests.set(2);
    fixture.detectChanges();
    expect(tabs()[1].querySelector('[data-testid="tab-badge"]')?.textContent).toBe('2');
    expect(tabs()[1].getAttribute('aria-label')).toBe('Friends, 2 requests');
  });

  it('has a banner, a skip link that moves the focus to the page heading, and the page in main', async () => {
    TestBed.configureTestingModule({
      providers: [
        provideRouter([]),
        { provide: AuthStore, useValue: { user: signal({ displayName: 'Ann Example' }), signedIn: signal(true), offline: signal(false), signOut: vi.fn() } },
        { provide: Realtime, useValue: { reconnecting: signal(true), on: () => NEVER } },
        { provide: ThemeService, useValue: { theme: signal('light'), toggle: vi.fn() } },
        { provide: UnsentWarning, useValue: { confirmSignOut: async () => true } },
        provideShellTab(() => signal({ path: '/chats', label: 'Chats' })),
      ],
    });
    const fixture = TestBed.createComponent(Shell);
    fixture.detectChanges();
    const element = fixture.nativeElement as HTMLElement;
    document.body.appendChild(element);
    const main = element.querySelector('main')!;
    const heading = document.createElement('h1');
    heading.textContent = 'Chats';
    main.appendChild(heading);

    expect(element.querySelector('header [role="status"]')?.textContent).toBe('Reconnecting…');
    const skip = element.querySelector<HTMLAnchorElement>('a.skip-link')!;
    expect(element.firstElementChild).toBe(skip);
    skip.click();
    expect(document.activeElement).toBe(heading);
    expect(heading.getAttribute('tabindex')).toBe('-1');
    element.remove();
  });
});
