import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { type ComponentFixture, TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { AuthStore } from '../../core/auth-store';
import { authResponse } from '../../core/auth-store.fixtures';
import { ThemeService } from '../../core/theme';
import { Toasts } from '../../shared/toasts';
import { SettingsPage } from './settings-page';

describe('SettingsPage', () => {
  let fixture: ComponentFixture<SettingsPage>;
  let http: HttpTestingController;
  let auth: AuthStore;
  let element: HTMLElement;

  const text = () => element.textContent ?? '';
  const nextRequest = (url: string) => vi.waitFor(() => http.expectOne(url));

  function field(label: string): HTMLInputElement {
    return [...element.querySelectorAll('mat-form-field')]
      .find((candidate) => candidate.querySelector('mat-label')?.textContent?.trim() === label)!
      .querySelector('input')!;
  }

  function fill(label: string, value: string): void {
    const input = field(label);
    input.value = value;
    input.dispatchEvent(new Event('input'));
    input.dispatchEvent(new Event('blur'));
  }

  function button(name: string): HTMLButtonElement {
    return [...element.querySelectorAll('button')].find((candidate) => candidate.textContent?.trim() === name)!;
  }

  async function click(name: string): Promise<void> {
    button(name).click();
    await fixture.whenStable();
  }

  beforeEach(async () => {
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting(), provideRouter([])] });
    http = TestBed.inject(HttpTestingController);
    auth = TestBed.inject(AuthStore);
    const signIn = auth.signIn('alice', 'correct horse');
    http.expectOne('/api/auth/login').flush(authResponse('token-1'));
    await signIn;
    fixture = TestBed.createComponent(SettingsPage);
    element = fixture.nativeElement as HTMLElement;
    await fixture.whenStable();
    http.expectOne('/api/users/me').flush({ ...authResponse('x').user, statusMessage: 'Curious' });
    http.expectOne('/api/sessions').flush({ items: [] });
    http.expectOne('/api/auth/2fa').flush({ totpEnabled: false, recoveryCodesLeft: 0, required: false });
    http.expectOne('/api/auth/passkeys').flush({ items: [] });
    await vi.waitFor(() => expect(auth.user()?.statusMessage).toBe('Curious'));
    await fixture.whenStable();
  });

  afterEach(() => http.verify());

  describe('profile', () => {
    it('shows the account as the server has it, with nothing to save yet', () => {
      expect(text()).toContain('@alice');
      expect(field('Display name').value).toBe('Alice');
      expect(field('Status message').value).toBe('Curious');
      expect(button('Save profile').disabled).toBe(true);
    });

    it('checks the display name as the server will (trimmed, 1–64)', async () => {
      fill('Display name', '   ');
      await fixture.whenStable();
      expect(text()).toContain('Enter a display name.');
      expect(button('Save profile').disabled).toBe(true);

      fill('Display name', 'x'.repeat(65));
      await fixture.whenStable();
      expect(text()).toContain('At most 64 characters.');

      fill('Display name', `  ${'x'.repeat(64)}  `);
      await fixture.whenStable();
      expect(text()).not.toContain('At most 64 characters.');
      expect(button('Save profile').disabled).toBe(false);
    });

    it('sends only what changed, trimmed, and says it was saved', async () => {
      const info = vi.spyOn(TestBed.inject(Toasts), 'info');
      fill('Display name', '  Alice Pleasance ');
      await fixture.whenStable();
      await click('Save profile');

      const request = await nextRequest('/api/users/me');
      expect(request.request.method).toBe('PATCH');
      expect(request.request.body).toEqual({ displayName: 'Alice Pleasance' });
      request.flush({ ...authResponse('x').user, displayName: 'Alice Pleasance', statusMessage: 'Curious' });
      await vi.waitFor(() => expect(info).toHaveBeenCalledWith('Profile saved'));
      await fixture.whenStable();

      expect(auth.user()?.displayName).toBe('Alice Pleasance');
      expect(field('Display name').value).toBe('Alice Pleasance');
      expect(button('Save profile').disabled).toBe(true);
    });

    it('keeps an edit in progress when the account changes meanwhile, and takes the other field', async () => {
      fill('Display name', 'Alice P.');
      auth.updateUser({ ...authResponse('x').user, displayName: 'Alice Elsewhere', statusMessage: 'Set elsewhere' });
      await fixture.whenStable();

      expect(field('Display name').value).toBe('Alice P.');
      expect(field('Status message').value).toBe('Set elsewhere');
      await click('Save profile');
      const request = await nextRequest('/api/users/me');
      expect(request.request.body).toEqual({ displayName: 'Alice P.' });
      request.flush({ ...authResponse('x').user, displayName: 'Alice P.', statusMessage: 'Set elsewhere' });
    });

    it('shows a refusal from the server in words', async () => {
      fill('Status message', 'Busy');
      await fixture.whenStable();
      await click('Save profile');
      (await nextRequest('/api/users/me')).flush(
        { code: 'VALIDATION_FAILED', message: 'x', details: [{ field: 'statusMessage', messages: ['statusMessage must be shorter'] }] },
        { status: 400, statusText: 'Bad Request' },
      );
      await vi.waitFor(() => expect(element.querySelector('[role="alert"]')?.textContent).toContain('statusMessage must be shorter'));
    });
  });

  describe('password', () => {
    it('checks the fields before sending anything', async () => {
      fill('New password', 'short');
      fill('Confirm new password', 'other');
      await click('Change password');

      expect(text()).toContain('Enter your current password.');
      expect(text()).toContain('At least 8 characters.');
      expect(text()).toContain('The passwords do not match.');
      http.expectNone('/api/users/me/password');
    });

    it('refuses a new password equal to the current one', async () => {
      fill('Current password', 'correct horse');
      fill('New password', 'correct horse');
      fill('Confirm new password', 'correct horse');
      await click('Change password');
      expect(text()).toContain('Choose a password different from the current one.');
      http.expectNone('/api/users/me/password');
    });

    it('shows and hides a password', async () => {
      const toggle = element.querySelector<HTMLButtonElement>('button[aria-label="Show new password"]')!;
      toggle.click();
      await fixture.whenStable();
      expect(field('New password').type).toBe('text');
      expect(toggle.getAttribute('aria-label')).toBe('Hide new password');
      expect(toggle.getAttribute('aria-pressed')).toBe('true');
      toggle.click();
      await fixture.whenStable();
      expect(field('New password').type).toBe('password');
    });

    it('says a wrong current password on its field', async () => {
      fill('Current password', 'not it at all');
      fill('New password', 'a new secret');
      fill('Confirm new password', 'a new secret');
      await click('Change password');
      (await nextRequest('/api/users/me/password')).flush({ code: 'WRONG_PASSWORD', message: 'x' }, { status: 403, statusText: 'Forbidden' });
      await vi.waitFor(() => expect(text()).toContain('The current password is wrong.'));
      expect(document.activeElement).toBe(field('Current password'));
    });

    it('changes it, stays signed in and clears the fields', async () => {
      const info = vi.spyOn(TestBed.inject(Toasts), 'info');
      fill('Current password', 'correct horse');
      fill('New password', 'a new secret');
      fill('Confirm new password', 'a new secret');
      await click('Change password');
      const request = await nextRequest('/api/users/me/password');
      expect(request.request.body).toEqual({ currentPassword: 'correct horse', newPassword: 'a new secret' });
      request.flush(authResponse('token-2'));
      await vi.waitFor(() => expect(info).toHaveBeenCalledWith('Password changed. Your other devices were signed out.'));
      await fixture.whenStable();

      expect(auth.accessToken()).toBe('token-2');
      expect(field('Current password').value).toBe('');
      expect(field('New password').value).toBe('');
      expect(text()).not.toContain('Enter your current password.');
    });
  });

  describe('theme', () => {
    it('offers System, Light and Dark, System first', async () => {
      const theme = TestBed.inject(ThemeService);
      const radios = [...element.querySelectorAll<HTMLInputElement>('mat-radio-group input[type="radio"]')];
      expect(radios.map((radio) => radio.value)).toEqual(['system', 'light', 'dark']);
      expect(radios[0].checked).toBe(true);

      radios[2].click();
      await fixture.whenStable();
      expect(theme.preference()).toBe('dark');
      expect(text()).toContain('Always dark on this device.');
      theme.setPreference('system');
    });
  });

  describe('export', () => {
    it('shows progress, then hands the zip to the browser under the server’s name', async () => {
      const createObjectURL = vi.fn(() => 'blob:zip');
      Object.assign(URL, { createObjectURL, revokeObjectURL: vi.fn() });
      const clicked: HTMLAnchorElement[] = [];
      const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
        clicked.push(this);
      });

      await clickExport();
      expect(text()).toContain('Preparing your export…');
      expect(button('Exporting…').disabled).toBe(true);
      const zip = new Blob(['PK']);
      (await nextRequest('/api/users/me/export')).flush(zip, {
        headers: { 'content-disposition': 'attachment; filename="iris-export-alice-2026-11-21.zip"' },
      });
      await vi.waitFor(() => expect(text()).toContain('Downloaded iris-export-alice-2026-11-21.zip.'));

      expect(createObjectURL).toHaveBeenCalledWith(zip);
      expect(clicked).toHaveLength(1);
      expect(clicked[0].download).toBe('iris-export-alice-2026-11-21.zip');
      expect(clicked[0].href).toBe('blob:zip');
      expect(clicked[0].isConnected).toBe(false);
      click.mockRestore();
    });

    it('says when the next export is allowed', async () => {
      await clickExport();
      (await nextRequest('/api/users/me/export')).flush(new Blob(['{}'], { type: 'application/json' }), {
        status: 429,
        statusText: 'Too Many Requests',
        headers: { 'retry-after': '540' },
      });
      await vi.waitFor(() =>
        expect(element.querySelector('[role="alert"]')?.textContent).toContain('once every 10 minutes. Try again in 9 minutes.'),
      );
      expect(button('Export my data').disabled).toBe(false);
    });

    async function clickExport(): Promise<void> {
      [...element.querySelectorAll('button')].find((candidate) => candidate.textContent?.includes('Export my data'))!.click();
      await fixture.whenStable();
    }
  });
});
