import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { type ComponentFixture, TestBed } from '@angular/core/testing';
import type { PasskeyDto } from '../../../sdk/models/passkey-dto';
import { Toasts } from '../../shared/toasts';
import { PasskeysSection } from './passkeys-section';

const passkey = (fields: Partial<PasskeyDto>): PasskeyDto => ({
  id: 'id',
  name: 'Laptop',
  createdAt: '2026-01-05T10:00:00.000Z',
  lastUsedAt: null,
  backedUp: false,
  ...fields,
});

describe('PasskeysSection', () => {
  let fixture: ComponentFixture<PasskeysSection>;
  let http: HttpTestingController;
  let element: HTMLElement;
  const toasts = { info: vi.fn(), error: vi.fn() };

  const text = () => element.textContent ?? '';
  const button = (name: string) => [...element.querySelectorAll('button')].find((candidate) => (candidate.getAttribute('aria-label') ?? candidate.textContent?.trim()) === name) as HTMLButtonElement;
  const input = (label: string) =>
    [...element.querySelectorAll('mat-form-field')].find((field) => field.querySelector('mat-label')?.textContent?.trim() === label)!.querySelector('input')!;
  const type = (label: string, value: string) => {
    const field = input(label);
    field.value = value;
    field.dispatchEvent(new Event('input'));
  };
  const settle = async () => {
    fixture.detectChanges();
    await fixture.whenStable();
  };

  beforeEach(async () => {
    toasts.info.mockReset();
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting(), { provide: Toasts, useValue: toasts }] });
    http = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(PasskeysSection);
    element = fixture.nativeElement as HTMLElement;
    await fixture.whenStable();
    http.expectOne('/api/auth/passkeys').flush({
      items: [passkey({ id: 'a', name: 'Laptop' }), passkey({ id: 'b', name: 'Phone', lastUsedAt: '2026-01-06T10:00:00.000Z', backedUp: true })],
    });
    await vi.waitFor(async () => {
      await settle();
      expect(element.querySelectorAll('li')).toHaveLength(2);
    });
  });

  afterEach(() => http.verify());

  it('lists each passkey with whether it was used and whether it is synced', () => {
    const [laptop, phone] = [...element.querySelectorAll('li')].map((item) => item.textContent ?? '');
    expect(laptop).toContain('Laptop');
    expect(laptop).toContain('never used');
    expect(phone).toContain('last used');
    expect(phone).toContain('Synced');
    expect(element.querySelector('ul')?.getAttribute('aria-label')).toBe('Your passkeys');
  });

  it('renames one in place', async () => {
    button('Rename Laptop').click();
    await settle();
    type('New name for Laptop', ' Work laptop ');
    button('Save').click();
    const request = http.expectOne({ method: 'PATCH', url: '/api/auth/passkeys/a' });
    expect(request.request.body).toEqual({ name: 'Work laptop' });
    request.flush(passkey({ id: 'a', name: 'Work laptop' }));
    await vi.waitFor(async () => {
      await settle();
      expect(text()).toContain('Work laptop');
    });
  });

  it('removes one only with the right password, saying when it is wrong', async () => {
    button('Remove Phone').click();
    await settle();
    type('Password', 'wrong password');
    button('Remove').click();
    const wrong = http.expectOne({ method: 'DELETE', url: '/api/auth/passkeys/b' });
    expect(wrong.request.body).toEqual({ password: 'wrong password' });
    // 204 routes read their answer as text: the error body arrives unparsed.
    wrong.flush(JSON.stringify({ code: 'WRONG_PASSWORD', message: 'x' }), { status: 403, statusText: 'Forbidden' });
    await vi.waitFor(async () => {
      await settle();
      expect(element.querySelector('[role="alert"]')?.textContent).toContain('That password is not right.');
    });
    type('Password', 'correct horse battery');
    button('Remove').click();
    http.expectOne({ method: 'DELETE', url: '/api/auth/passkeys/b' }).flush('', { status: 204, statusText: 'No Content' });
    await vi.waitFor(async () => {
      await settle();
      expect(element.querySelectorAll('li')).toHaveLength(1);
    });
    expect(toasts.info).toHaveBeenCalledWith('Passkey “Phone” removed.');
  });

  it('says so, with no way to add one, in a browser without WebAuthn', () => {
    expect(typeof globalThis.PublicKeyCredential).toBe('undefined');
    expect(text()).toContain('This browser cannot make passkeys.');
    expect(button('Add a passkey')).toBeUndefined();
  });
});
