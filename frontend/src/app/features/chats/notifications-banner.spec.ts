import { TestBed } from '@angular/core/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PushSubscriber } from '../../core/notifications/push-subscriber';
import { NotificationPrefs } from '../../core/notifications/notification-prefs';
import { NotificationsBanner } from './notifications-banner';

describe('NotificationsBanner', () => {
  const requestPermission = vi.fn<() => Promise<NotificationPermission>>();
  let permission: NotificationPermission = 'default';

  beforeEach(() => {
    localStorage.clear();
    permission = 'default';
    requestPermission.mockReset().mockImplementation(async () => (permission = 'granted'));
    vi.stubGlobal('Notification', { get permission() { return permission; }, requestPermission });
    TestBed.configureTestingModule({ providers: [{ provide: PushSubscriber, useValue: { supported: false, enable: vi.fn() } }] });
  });
  afterEach(() => vi.unstubAllGlobals());

  function render() {
    const fixture = TestBed.createComponent(NotificationsBanner);
    fixture.detectChanges();
    const element = fixture.nativeElement as HTMLElement;
    const button = (name: string) => [...element.querySelectorAll('button')].find((b) => b.textContent?.trim() === name)!;
    return { fixture, element, button };
  }

  it('offers notifications without asking the browser until "Turn on" is clicked, then turns them on and goes', async () => {
    const { fixture, element, button } = render();
    expect(element.querySelector('[data-testid="notifications-banner"]')).not.toBeNull();
    expect(requestPermission).not.toHaveBeenCalled();

    button('Turn on').click();
    await vi.waitFor(() => expect(TestBed.inject(NotificationPrefs).settings()).toMatchObject({ desktop: true, bannerDone: true }));
    expect(requestPermission).toHaveBeenCalledOnce();
    fixture.detectChanges();
    expect(element.querySelector('[data-testid="notifications-banner"]')).toBeNull();
  });

  it('"Not now" hides it for good on this browser, and it never shows where notifications are blocked', () => {
    const first = render();
    first.button('Not now').click();
    first.fixture.detectChanges();
    expect(first.element.querySelector('[data-testid="notifications-banner"]')).toBeNull();
    expect(JSON.parse(localStorage.getItem('iris.notifications')!)).toMatchObject({ bannerDone: true, desktop: false });

    localStorage.clear();
    TestBed.inject(NotificationPrefs).set({ bannerDone: false });
    permission = 'denied';
    TestBed.resetTestingModule();
    TestBed.configureTestingModule({ providers: [{ provide: PushSubscriber, useValue: { supported: false, enable: vi.fn() } }] });
    localStorage.clear();
    expect(render().element.querySelector('[data-testid="notifications-banner"]')).toBeNull();
    expect(requestPermission).not.toHaveBeenCalled();
  });
});
