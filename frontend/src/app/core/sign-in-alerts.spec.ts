import { TestBed } from '@angular/core/testing';
import { Toasts } from '../shared/toasts';
import { Realtime } from './realtime';
import { FakeRealtime } from './realtime.fixtures';
import { SignInAlerts } from './sign-in-alerts';

describe('SignInAlerts', () => {
  it('tells the user when their account signs in on another device', () => {
    const realtime = new FakeRealtime();
    const toasts = { info: vi.fn() };
    TestBed.configureTestingModule({ providers: [{ provide: Realtime, useValue: realtime }, { provide: Toasts, useValue: toasts }] });
    TestBed.inject(SignInAlerts);

    realtime.serve('session.created', { id: 's', deviceName: 'Safari on iOS', ip: '192.0.2.1', createdAt: '2026-01-01T00:00:00Z' });

    expect(toasts.info).toHaveBeenCalledWith('New sign-in on Safari on iOS. Not you? Revoke it in Settings › Sessions.');
  });
});
