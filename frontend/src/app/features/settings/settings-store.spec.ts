import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter, Router } from '@angular/router';
import { AuthStore } from '../../core/auth-store';
import { authResponse } from '../../core/auth-store.fixtures';
import { Toasts } from '../../shared/toasts';
import { ExportError, fileNameFrom, SettingsStore } from './settings-store';

describe('SettingsStore', () => {
  let sut: SettingsStore;
  let auth: AuthStore;
  let http: HttpTestingController;

  const nextRequest = (url: string) => vi.waitFor(() => http.expectOne(url));

  beforeEach(async () => {
    TestBed.configureTestingModule({
      providers: [provideHttpClient(), provideHttpClientTesting(), provideRouter([]), SettingsStore],
    });
    sut = TestBed.inject(SettingsStore);
    auth = TestBed.inject(AuthStore);
    http = TestBed.inject(HttpTestingController);
    const signedIn = auth.signIn('alice', 'correct horse');
    http.expectOne('/api/auth/login').flush(authResponse('token-1'));
    await signedIn;
  });

  afterEach(() => http.verify());

  describe('reload', () => {
    it('takes the account as the server has it now', async () => {
      const done = sut.reload();
      (await nextRequest('/api/users/me')).flush({ ...authResponse('x').user, statusMessage: 'Set elsewhere' });
      await done;
      expect(sut.user()?.statusMessage).toBe('Set elsewhere');
    });
  });

  describe('saveProfile', () => {
    it('sends the changes and shows the new name everywhere at once', async () => {
      const saved = sut.saveProfile({ displayName: 'Alice Pleasance' });
      expect(sut.profileSaving()).toBe(true);
      const request = await nextRequest('/api/users/me');
      expect(request.request.method).toBe('PATCH');
      expect(request.request.body).toEqual({ displayName: 'Alice Pleasance' });
      request.flush({ ...authResponse('x').user, displayName: 'Alice Pleasance' });
      await saved;

      expect(auth.user()?.displayName).toBe('Alice Pleasance');
      expect(sut.profileSaving()).toBe(false);
    });

    it('keeps the old name when the server refuses', async () => {
      const saved = sut.saveProfile({ displayName: 'x' });
      (await nextRequest('/api/users/me')).flush(
        { code: 'VALIDATION_FAILED', message: 'bad', details: [{ field: 'displayName', messages: ['too long'] }] },
        { status: 400, statusText: 'Bad Request' },
      );
      await expect(saved).rejects.toBeTruthy();
      expect(auth.user()?.displayName).toBe('Alice');
      expect(sut.profileSaving()).toBe(false);
    });
  });

  describe('changePassword', () => {
    it('stays signed in with the fresh tokens the server answers with', async () => {
      const changed = sut.changePassword('correct horse', 'a new secret');
      const request = await nextRequest('/api/users/me/password');
      expect(request.request.method).toBe('PUT');
      expect(request.request.body).toEqual({ currentPassword: 'correct horse', newPassword: 'a new secret' });
      request.flush(authResponse('token-2'));
      await changed;

      expect(auth.signedIn()).toBe(true);
      expect(auth.accessToken()).toBe('token-2');
    });
  });

  describe('exportData', () => {
    it('returns the zip with the name the server gave it', async () => {
      const exported = sut.exportData();
      expect(sut.exporting()).toBe(true);
      const request = await nextRequest('/api/users/me/export');
      expect(request.request.responseType).toBe('blob');
      const zip = new Blob(['PK'], { type: 'application/zip' });
      request.flush(zip, { headers: { 'content-disposition': 'attachment; filename="iris-export-alice-2026-11-21.zip"' } });

      const file = await exported;
      expect(file.fileName).toBe('iris-export-alice-2026-11-21.zip');
      expect(file.blob).toBe(zip);
      expect(sut.exporting()).toBe(false);
    });

    it('names the file itself when the header is missing', async () => {
      const exported = sut.exportData();
      (await nextRequest('/api/users/me/export')).flush(new Blob(['PK']));
      expect((await exported).fileName).toMatch(/^iris-export-alice-\d{4}-\d{2}-\d{2}\.zip$/);
    });

    it('says in minutes when the next export is allowed', async () => {
      const exported = sut.exportData();
      (await nextRequest('/api/users/me/export')).flush(new Blob([JSON.stringify({ code: 'RATE_LIMITED' })], { type: 'application/json' }), {
        status: 429,
        statusText: 'Too Many Requests',
        headers: { 'retry-after': '61' },
      });

      const error = await exported.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ExportError);
      expect((error as ExportError).retryAfterMinutes).toBe(2);
      expect((error as ExportError).message).toBe('You can export your data once every 10 minutes. Try again in 2 minutes.');
      expect(sut.exporting()).toBe(false);
    });

    it('reads the error from a JSON body that came as a blob', async () => {
      const exported = sut.exportData();
      (await nextRequest('/api/users/me/export')).flush(
        new Blob([JSON.stringify({ code: 'DATABASE_UNAVAILABLE', message: 'db down' })], { type: 'application/json' }),
        { status: 503, statusText: 'Service Unavailable' },
      );
      await expect(exported).rejects.toThrow('The server cannot reach its database right now. Try again in a moment.');
    });
  });

  describe('deleteAccount', () => {
    it('erases with the password, ends the session on this device and opens sign-in with a note', async () => {
      const navigate = vi.spyOn(TestBed.inject(Router), 'navigateByUrl').mockResolvedValue(true);
      const info = vi.spyOn(TestBed.inject(Toasts), 'info');
      const deleted = sut.deleteAccount('correct horse');
      expect(sut.deleting()).toBe(true);
      const erase = await nextRequest('/api/users/me');
      expect(erase.request.method).toBe('DELETE');
      expect(erase.request.body).toEqual({ password: 'correct horse' });
      erase.flush({ dryRun: false, counts: {} });
      // Clears the refresh cookie; the server has forgotten the session already.
      (await nextRequest('/api/auth/logout')).flush(null, { status: 204, statusText: 'No Content' });
      await deleted;

      expect(auth.signedIn()).toBe(false);
      expect(info).toHaveBeenCalledWith('Your account was deleted');
      expect(navigate).toHaveBeenCalledWith('/sign-in');
    });

    it('keeps the user signed in when the password is wrong', async () => {
      const deleted = sut.deleteAccount('wrong');
      (await nextRequest('/api/users/me')).flush({ code: 'WRONG_PASSWORD', message: 'x' }, { status: 403, statusText: 'Forbidden' });
      await expect(deleted).rejects.toBeTruthy();
      expect(auth.signedIn()).toBe(true);
      expect(sut.deleting()).toBe(false);
    });
  });
});

describe('fileNameFrom', () => {
  it('reads quoted, bare and encoded names, and never a path', () => {
    expect(fileNameFrom('attachment; filename="a.zip"')).toBe('a.zip');
    expect(fileNameFrom('attachment; filename=a.zip')).toBe('a.zip');
    expect(fileNameFrom("attachment; filename*=UTF-8''caf%C3%A9.zip")).toBe('café.zip');
    expect(fileNameFrom('attachment; filename="../etc/a.zip"')).toBe('.._etc_a.zip');
    expect(fileNameFrom(null)).toBeNull();
    expect(fileNameFrom('inline')).toBeNull();
  });
});
