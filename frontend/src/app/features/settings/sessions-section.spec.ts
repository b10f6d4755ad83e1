import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { signal } from '@angular/core';
import { type ComponentFixture, TestBed } from '@angular/core/testing';
import { MatDialog } from '@angular/material/dialog';
import { of } from 'rxjs';
import type { SessionDto } from '../../../sdk/models/session-dto';
import type { TrustStatus } from '../../core/crypto/cross-signing';
import { DeviceTrust } from '../../core/crypto/device-trust';
import { VerificationService } from '../../core/crypto/verification-service';
import { LastDeviceWarning } from '../../core/last-device-warning';
import { Toasts } from '../../shared/toasts';
import { SessionsSection } from './sessions-section';

const session = (fields: Partial<SessionDto>): SessionDto => ({
  id: 'id',
  current: false,
  deviceName: 'Firefox on Linux',
  ip: '192.0.2.1',
  createdAt: '2026-01-05T10:00:00.000Z',
  lastActiveAt: '2026-01-05T11:00:00.000Z',
  e2ee: null,
  ...fields,
});

describe('SessionsSection', () => {
  let fixture: ComponentFixture<SessionsSection>;
  let http: HttpTestingController;
  let element: HTMLElement;
  let confirmed: boolean;
  const toasts = { info: vi.fn(), error: vi.fn() };
  const status = signal<TrustStatus | null>(null);
  const verification = { completed: signal(0), verifyOwnDevice: vi.fn(async () => undefined) };
  const lastDevice = { confirm: vi.fn(async () => false) };

  const text = () => element.textContent ?? '';
  const button = (name: string) => [...element.querySelectorAll('button')].find((candidate) => candidate.textContent?.trim() === name);

  beforeEach(async () => {
    confirmed = true;
    status.set(null);
    verification.verifyOwnDevice.mockClear();
    lastDevice.confirm.mockClear();
    toasts.info.mockReset();
    toasts.error.mockReset();
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(),
        provideHttpClientTesting(),
        { provide: Toasts, useValue: toasts },
        { provide: MatDialog, useValue: { open: () => ({ afterClosed: () => of(confirmed) }) } },
        { provide: DeviceTrust, useValue: { status } },
        { provide: VerificationService, useValue: verification },
        { provide: LastDeviceWarning, useValue: lastDevice },
      ],
    });
    http = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(SessionsSection);
    element = fixture.nativeElement as HTMLElement;
    await fixture.whenStable();
    http.expectOne('/api/sessions').flush({
      items: [
        session({ id: 'mine', current: true, deviceName: 'Chrome on macOS', e2ee: { deviceId: 'mine', verified: false } }),
        session({ id: 'phone', deviceName: 'Safari on iOS' }),
        session({ id: 'old', deviceName: 'Edge on Windows', ip: null }),
      ],
    });
    await vi.waitFor(async () => {
      await fixture.whenStable();
      expect(element.querySelectorAll('li')).toHaveLength(3);
    });
  });

  afterEach(() => http.verify());

  it('lists every session, this device marked and without a sign-out button', () => {
    const items = [...element.querySelectorAll('li')];
    expect(items.map((item) => item.querySelector('.name')?.textContent?.trim())).toEqual(['Chrome on macOS', 'Safari on iOS', 'Edge on Windows']);
    expect(items[0].getAttribute('aria-current')).toBe('true');
    expect(items[0].textContent).toContain('This device');
    expect(items[0].textContent).toContain('encryption device');
    expect(items[0].querySelector('button')).toBeNull();
    expect(items[1].textContent).toContain('192.0.2.1');
    expect(items[1].querySelector('button')?.getAttribute('aria-label')).toContain('Revoke Safari on iOS');
  });

  it('signs one session out after confirmation and drops it from the list', async () => {
    element.querySelectorAll('li')[1].querySelector('button')!.click();
    await fixture.whenStable();
    const request = await vi.waitFor(() => http.expectOne('/api/sessions/phone'));
    expect(request.request.method).toBe('DELETE');
    request.flush(null, { status: 204, statusText: 'No Content' });
    await vi.waitFor(() => expect(toasts.info).toHaveBeenCalledWith('Safari on iOS is signed out.'));
    await vi.waitFor(async () => {
      await fixture.whenStable();
      expect(text()).not.toContain('Safari on iOS');
    });
  });

  it('does nothing when the confirmation is cancelled', async () => {
    confirmed = false;
    element.querySelectorAll('li')[1].querySelector('button')!.click();
    await fixture.whenStable();
    http.expectNone('/api/sessions/phone');
  });

  it('signs out everywhere else and keeps only this device', async () => {
    button('Revoke all other sessions')!.click();
    await fixture.whenStable();
    (await vi.waitFor(() => http.expectOne('/api/sessions/revoke-others'))).flush({ revoked: 2 });
    await vi.waitFor(() => expect(toasts.info).toHaveBeenCalledWith('2 other sessions are signed out.'));
    await vi.waitFor(async () => {
      await fixture.whenStable();
      expect(element.querySelectorAll('li')).toHaveLength(1);
    });
    expect(button('Revoke all other sessions')).toBeUndefined();
  });

  it('says why when a sign-out is refused, and reloads the list', async () => {
    element.querySelectorAll('li')[2].querySelector('button')!.click();
    await fixture.whenStable();
    (await vi.waitFor(() => http.expectOne('/api/sessions/old'))).flush({ code: 'SESSION_NOT_FOUND', message: 'Session not found' }, { status: 404, statusText: 'Not Found' });
    await vi.waitFor(() => expect(toasts.error).toHaveBeenCalled());
    await vi.waitFor(() => http.expectOne('/api/sessions').flush({ items: [session({ id: 'mine', current: true })] }));
  });

  describe('with encryption devices', () => {
    const signing: TrustStatus = { hasIdentity: true, canSign: true, thisDeviceVerified: true, backup: null, backupOnThisDevice: false };

    /** A finished verification reloads the list; the spec answers with these sessions. */
    async function reloadWith(items: SessionDto[]): Promise<void> {
      verification.completed.update((n) => n + 1);
      await fixture.whenStable();
      (await vi.waitFor(() => http.expectOne('/api/sessions'))).flush({ items });
      await vi.waitFor(async () => {
        await fixture.whenStable();
        expect(element.querySelectorAll('li')).toHaveLength(items.length);
      });
    }

    it('offers “Verify” on another unverified device only while this browser can sign, and starts the verification with it', async () => {
      await reloadWith([
        session({ id: 'mine', current: true, e2ee: { deviceId: 'mine', verified: true } }),
        session({ id: 'tablet', deviceName: 'Firefox on Android', e2ee: { deviceId: 'tablet', verified: false } }),
        session({ id: 'laptop', e2ee: { deviceId: 'laptop', verified: true } }),
        session({ id: 'phone' }),
      ]);
      expect(button('Verify')).toBeUndefined();
      status.set(signing);
      await fixture.whenStable();
      const verifyButtons = [...element.querySelectorAll('li')].map((item) => [...item.querySelectorAll('button')].some((b) => b.textContent?.trim() === 'Verify'));
      expect(verifyButtons).toEqual([false, true, false, false]);
      expect(element.querySelectorAll('li')[2].textContent).toContain('verified encryption device');
      button('Verify')!.click();
      expect(verification.verifyOwnDevice).toHaveBeenCalledWith('tablet');
    });

    it('warns before revoking the last device that holds the message keys when nothing is backed up', async () => {
      await reloadWith([session({ id: 'mine', current: true }), session({ id: 'tablet', e2ee: { deviceId: 'tablet', verified: true } })]);
      element.querySelectorAll('li')[1].querySelector('button')!.click();
      await vi.waitFor(() => expect(lastDevice.confirm).toHaveBeenCalledWith('revoke'));
      http.expectNone('/api/sessions/tablet');
    });

    it('asks the usual question when a backup keeps the keys', async () => {
      status.set({ ...signing, backup: { version: '1', count: 3 } });
      await reloadWith([session({ id: 'mine', current: true }), session({ id: 'tablet', e2ee: { deviceId: 'tablet', verified: true } })]);
      element.querySelectorAll('li')[1].querySelectorAll('button')[0].click();
      (await vi.waitFor(() => http.expectOne('/api/sessions/tablet'))).flush(null, { status: 204, statusText: 'No Content' });
      expect(lastDevice.confirm).not.toHaveBeenCalled();
    });
  });
});
