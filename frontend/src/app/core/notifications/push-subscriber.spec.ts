import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { SwPush } from '@angular/service-worker';
import { BehaviorSubject } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AuthStore } from '../auth-store';
import { NotificationPrefs } from './notification-prefs';
import { PushSubscriber } from './push-subscriber';

/** A browser subscription as SwPush hands it out. */
function browserSubscription(endpoint: string) {
  return { endpoint, unsubscribe: vi.fn().mockResolvedValue(true), toJSON: () => ({ endpoint, keys: { p256dh: 'p', auth: 'a' } }) };
}

describe('PushSubscriber with two accounts on one browser', () => {
  const user = signal<{ id: string } | null>({ id: 'alice' });
  let subscription: ReturnType<typeof browserSubscription> | null;
  let swPush: { isEnabled: boolean; subscription: BehaviorSubject<unknown>; requestSubscription: ReturnType<typeof vi.fn> };
  let http: HttpTestingController;

  beforeEach(() => {
    localStorage.clear();
    user.set({ id: 'alice' });
    subscription = browserSubscription('https://push.example/alice');
    swPush = { isEnabled: true, subscription: new BehaviorSubject<unknown>(null), requestSubscription: vi.fn(async () => subscription) };
    vi.stubGlobal('Notification', { permission: 'granted', requestPermission: vi.fn().mockResolvedValue('granted') });
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(),
        provideHttpClientTesting(),
        { provide: SwPush, useValue: swPush },
        { provide: AuthStore, useValue: { user, signedIn: signal(true) } },
      ],
    });
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => vi.unstubAllGlobals());

  async function enable(sut: PushSubscriber): Promise<void> {
    const enabling = sut.enable();
    (await vi.waitFor(() => http.expectOne('/api/push/vapid-public-key'))).flush({ publicKey: 'BKey' });
    (await vi.waitFor(() => http.expectOne('/api/push/subscriptions'))).flush(null, { status: 201, statusText: 'Created' });
    expect(await enabling).toBe(true);
  }

  it('keeps push on for the account that turned it on, unsubscribes the browser at sign-out, and the next account starts with it off', async () => {
    const sut = TestBed.inject(PushSubscriber);
    const prefs = TestBed.inject(NotificationPrefs);
    TestBed.tick();
    await enable(sut);
    expect(prefs.settings().push).toBe(true);
    swPush.subscription.next(subscription);

    user.set(null);
    TestBed.tick();
    await vi.waitFor(() => expect(subscription!.unsubscribe).toHaveBeenCalled());

    user.set({ id: 'bob' });
    TestBed.tick();
    expect(prefs.settings().push).toBe(false);
    await sut.resume();
    http.expectNone('/api/push/subscriptions');

    user.set({ id: 'alice' });
    TestBed.tick();
    expect(prefs.settings().push).toBe(true);
  });
});
