import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { type ComponentFixture, TestBed } from '@angular/core/testing';
import { provideRouter, Router } from '@angular/router';
import { AuthStore } from '../../core/auth-store';
import { authResponse } from '../../core/auth-store.fixtures';
import { DeleteAccount } from './delete-account';
import { SettingsStore } from './settings-store';

describe('DeleteAccount', () => {
  let fixture: ComponentFixture<DeleteAccount>;
  let http: HttpTestingController;
  let auth: AuthStore;

  const nextRequest = (url: string) => vi.waitFor(() => http.expectOne(url));
  const dialog = () => document.querySelector<HTMLElement>('mat-dialog-container');

  async function openDialog(): Promise<HTMLElement> {
    (fixture.nativeElement as HTMLElement).querySelector<HTMLButtonElement>('button')!.click();
    await fixture.whenStable();
    await vi.waitFor(() => expect(dialog()).not.toBeNull());
    return dialog()!;
  }

  async function confirmWith(password: string): Promise<void> {
    const input = dialog()!.querySelector<HTMLInputElement>('input[type="password"]')!;
    input.value = password;
    input.dispatchEvent(new Event('input'));
    dialog()!.querySelector<HTMLButtonElement>('button[type="submit"]')!.click();
    await fixture.whenStable();
  }

  beforeEach(async () => {
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting(), provideRouter([]), SettingsStore] });
    http = TestBed.inject(HttpTestingController);
    auth = TestBed.inject(AuthStore);
    const signIn = auth.signIn('alice', 'correct horse');
    http.expectOne('/api/auth/login').flush(authResponse('token-1'));
    await signIn;
    fixture = TestBed.createComponent(DeleteAccount);
    await fixture.whenStable();
  });

  afterEach(() => {
    http.verify();
    document.querySelectorAll('.cdk-overlay-container').forEach((container) => (container.innerHTML = ''));
  });

  it('explains what erasure removes before asking for the password', async () => {
    const element = await openDialog();
    expect(element.getAttribute('role')).toBe('dialog');
    const text = element.textContent ?? '';
    expect(text).toContain('Delete your account?');
    expect(text).toContain('@alice');
    expect(text).toContain('every message you sent');
    expect(text).toContain('every file you uploaded');
    expect(text).toContain('your friends, friend requests and blocks');
    expect(text).toContain('Deleted user');
  });

  it('asks for the password before sending anything', async () => {
    await openDialog();
    await confirmWith('');
    await vi.waitFor(() => expect(dialog()!.textContent).toContain('Enter your password to confirm.'));
    http.expectNone('/api/users/me');
  });

  it('says a wrong password on the field and keeps the account', async () => {
    await openDialog();
    await confirmWith('not it');
    (await nextRequest('/api/users/me')).flush({ code: 'WRONG_PASSWORD', message: 'x' }, { status: 403, statusText: 'Forbidden' });
    await vi.waitFor(() => expect(dialog()!.textContent).toContain('That password is not right.'));
    expect(auth.signedIn()).toBe(true);
  });

  it('puts LAST_ADMIN in words', async () => {
    await openDialog();
    await confirmWith('correct horse');
    (await nextRequest('/api/users/me')).flush({ code: 'LAST_ADMIN', message: 'x' }, { status: 409, statusText: 'Conflict' });
    await vi.waitFor(() =>
      expect(dialog()!.querySelector('[role="alert"]')?.textContent).toContain(
        'You are the last administrator. Make someone else an admin before deleting your account.',
      ),
    );
    expect(auth.signedIn()).toBe(true);
  });

  it('erases, signs out and opens sign-in', async () => {
    const navigate = vi.spyOn(TestBed.inject(Router), 'navigateByUrl').mockResolvedValue(true);
    await openDialog();
    await confirmWith('correct horse');
    const erase = await nextRequest('/api/users/me');
    expect(erase.request.method).toBe('DELETE');
    expect(erase.request.body).toEqual({ password: 'correct horse' });
    erase.flush({ dryRun: false, counts: {} });
    (await nextRequest('/api/auth/logout')).flush(null, { status: 204, statusText: 'No Content' });

    await vi.waitFor(() => expect(navigate).toHaveBeenCalledWith('/sign-in'));
    expect(auth.signedIn()).toBe(false);
    await vi.waitFor(() => expect(dialog()).toBeNull());
  });
});
