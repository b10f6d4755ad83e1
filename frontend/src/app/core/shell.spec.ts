import { computed, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { AuthStore } from './auth-store';
import { Realtime } from './realtime';
import { Shell } from './shell';
import { provideShellTab } from './shell-tabs';
import { ThemeService } from './theme';

describe('Shell', () => {
  it('shows the tabs the features provide, in their order, with their counts, leaving out hidden ones', () => {
    const requests = signal(0);
    TestBed.configureTestingModule({
      providers: [
        provideRouter([]),
        { provide: AuthStore, useValue: { user: signal({ displayName: 'Ann Example' }), signedIn: signal(true), signOut: vi.fn() } },
        { provide: Realtime, useValue: { reconnecting: signal(false) } },
        { provide: ThemeService, useValue: { theme: signal('light'), toggle: vi.fn() } },
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
});
