import { HttpErrorResponse, provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { AuthStore } from './auth-store';
import { authResponse } from './auth-store.fixtures';

describe('AuthStore', () => {
  let sut: AuthStore;
  let http: HttpTestingController;

  const nextRequest = (url: string) => vi.waitFor(() => http.expectOne(url));

  beforeEach(() => {
    localStorage.clear();
    sessionStorage.clear();
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting()] });
    sut = TestBed.inject(AuthStore);
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => {
    http.verify();
    vi.useRealTimers();
  });

  describe('restore', () => {
    it('signs in with the refresh cookie when the session is alive', async () => {
      const done = sut.restore();
      const request = await nextRequest('/api/auth/refresh');
      expect(request.request.method).toBe('POST');
      expect(request.request.body).toEqual({});
      request.flush(authResponse('token-1'));
      await done;

      expect(sut.signedIn()).toBe(true);
      expect(sut.user()?.username).toBe('alice');
      expect(sut.accessToken()).toBe('token-1');
    });

    it('stays signed out, without throwing, when there is no session', async () => {
      const done = sut.restore();
      (await nextRequest('/api/auth/refresh')).flush(
        { statusCode: 401, error: 'Unauthorized', message: 'No refresh token', code: 'REFRESH_TOKEN_MISSING' },
        { status: 401, statusText: 'Unauthorized' },
      );
      await done;

      expect(sut.signedIn()).toBe(false);
      expect(sut.accessToken()).toBeNull();
    });

    describe('when the server cannot be reached', () => {
      const unreachable = async () => (await nextRequest('/api/auth/refresh')).error(new ProgressEvent('error'));

      async function signedInBefore(): Promise<void> {
        const signIn = sut.signIn('alice', 'correct horse');
        (await nextRequest('/api/auth/login')).flush(authResponse('token-1'));
        await signIn;
        // The page is loaded again: a new store, which has only what the browser kept.
        TestBed.resetTestingModule();
        TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting()] });
        sut = TestBed.inject(AuthStore);
        http = TestBed.inject(HttpTestingController);
      }

      it('opens offline as the user who was signed in, then refreshes once the network is back', async () => {
        await signedInBefore();
        const done = sut.restore();
        await unreachable();
        await done;

        expect(sut.signedIn()).toBe(true);
        expect(sut.offline()).toBe(true);
        expect(sut.user()?.username).toBe('alice');
        expect(sut.accessToken()).toBeNull();

        window.dispatchEvent(new Event('online'));
        (await nextRequest('/api/auth/refresh')).flush(authResponse('token-2'));
        await vi.waitFor(() => expect(sut.accessToken()).toBe('token-2'));
        expect(sut.offline()).toBe(false);
      });

      it('still signs out when the server, reached at last, refuses the session', async () => {
        await signedInBefore();
        const done = sut.restore();
        await unreachable();
        await done;

        // A request without a token was refused: the interceptor asks for a new one.
        const renewed = sut.renewAfter(null);
        (await nextRequest('/api/auth/refresh')).flush({ code: 'SESSION_REVOKED' }, { status: 401, statusText: 'Unauthorized' });
        expect(await renewed).toBe(false);
        expect(sut.signedIn()).toBe(false);
        expect(localStorage.getItem('iris.user')).toBeNull();
      });

      it('stays signed out when nobody was signed in on this browser', async () => {
        const done = sut.restore();
        await unreachable();
        await done;

        expect(sut.signedIn()).toBe(false);
      });
    });
  });

  describe('refresh', () => {
    it('sends one request for concurrent callers, since the refresh token rotates', async () => {
      const first = sut.refresh();
      const second = sut.refresh();
      (await nextRequest('/api/auth/refresh')).flush(authResponse('token-2'));

      expect(await first).toBe(true);
      expect(await second).toBe(true);
      expect(sut.accessToken()).toBe('token-2');
    });

    it('signs in in two steps when two-factor authentication is on', async () => {
      const signIn = sut.signIn('alice', 'correct horse');
      (await nextRequest('/api/auth/login')).flush({ mfaRequired: true, mfaToken: 'challenge-1' });
      expect(await signIn).toEqual({ mfaToken: 'challenge-1' });
      expect(sut.signedIn()).toBe(false);

      const second = sut.completeSignIn('challenge-1', '123456');
      const request = await nextRequest('/api/auth/login/mfa');
      expect(request.request.body).toEqual({ mfaToken: 'challenge-1', code: '123456' });
      request.flush(authResponse('token-1'));
      await second;
      expect(sut.accessToken()).toBe('token-1');
    });

    it('refreshes on its own a minute before the access token expires', async () => {
      vi.useFakeTimers();
      const signIn = sut.signIn('alice', 'correct horse');
      (await nextRequest('/api/auth/login')).flush(authResponse('token-1', 900));
      await signIn;

      vi.advanceTimersByTime(839_000);
      http.expectNone('/api/auth/refresh');
      vi.advanceTimersByTime(1_000);
      (await nextRequest('/api/auth/refresh')).flush(authResponse('token-2', 900));
      await vi.waitFor(() => expect(sut.accessToken()).toBe('token-2'));
    });

    it('ends the session when the server refuses the refresh token', async () => {
      const signIn = sut.signIn('alice', 'correct horse');
      (await nextRequest('/api/auth/login')).flush(authResponse('token-1'));
      await signIn;

      const refreshed = sut.refresh();
      (await nextRequest('/api/auth/refresh')).flush({ code: 'REFRESH_TOKEN_REUSED' }, { status: 401, statusText: 'Unauthorized' });

      expect(await refreshed).toBe(false);
      expect(sut.signedIn()).toBe(false);
    });

    it('keeps the session through a network failure', async () => {
      const signIn = sut.signIn('alice', 'correct horse');
      (await nextRequest('/api/auth/login')).flush(authResponse('token-1'));
      await signIn;

      const refreshed = sut.refresh();
      (await nextRequest('/api/auth/refresh')).error(new ProgressEvent('error'));

      expect(await refreshed).toBe(false);
      expect(sut.accessToken()).toBe('token-1');
    });
  });

  describe('signIn and register', () => {
    it('keeps the access token in memory and the user in a signal', async () => {
      const done = sut.register('alice', 'correct horse', 'Alice');
      const request = await nextRequest('/api/auth/register');
      expect(request.request.body).toEqual({ username: 'alice', password: 'correct horse', displayName: 'Alice' });
      request.flush(authResponse('token-1'), { status: 201, statusText: 'Created' });
      await done;

      expect(sut.user()?.displayName).toBe('Alice');
      expect(sut.accessToken()).toBe('token-1');
      // Only the profile is kept (to open offline), never a token.
      expect(sessionStorage.length).toBe(0);
      expect(Object.keys(localStorage)).toEqual(['iris.user']);
      expect(localStorage.getItem('iris.user')).not.toContain('token-1');
    });

    it('rejects with the API error and stays signed out', async () => {
      const done = sut.signIn('alice', 'wrong password');
      (await nextRequest('/api/auth/login')).flush(
        { statusCode: 401, error: 'Unauthorized', message: 'Invalid credentials', code: 'INVALID_CREDENTIALS' },
        { status: 401, statusText: 'Unauthorized' },
      );

      await expect(done).rejects.toBeInstanceOf(HttpErrorResponse);
      expect(sut.signedIn()).toBe(false);
    });
  });

  describe('signOut', () => {
    it('ends the session on the server and here', async () => {
      const signIn = sut.signIn('alice', 'correct horse');
      (await nextRequest('/api/auth/login')).flush(authResponse('token-1'));
      await signIn;

      const done = sut.signOut();
      const request = await nextRequest('/api/auth/logout');
      expect(request.request.method).toBe('POST');
      request.flush(null, { status: 204, statusText: 'No Content' });
      await done;

      expect(sut.signedIn()).toBe(false);
      expect(sut.accessToken()).toBeNull();
    });

    it('signs out here even when the server cannot be reached', async () => {
      const signIn = sut.signIn('alice', 'correct horse');
      (await nextRequest('/api/auth/login')).flush(authResponse('token-1'));
      await signIn;

      const done = sut.signOut();
      (await nextRequest('/api/auth/logout')).error(new ProgressEvent('error'));
      await done;

      expect(sut.signedIn()).toBe(false);
    });
  });

  describe('changePassword', () => {
    async function signedIn(): Promise<void> {
      const signIn = sut.signIn('alice', 'correct horse');
      (await nextRequest('/api/auth/login')).flush(authResponse('token-1'));
      await signIn;
    }

    it('takes the fresh tokens the server answers with, staying signed in', async () => {
      await signedIn();
      const done = sut.changePassword('correct horse', 'a new secret');
      const request = await nextRequest('/api/users/me/password');
      expect(request.request.method).toBe('PUT');
      request.flush(authResponse('token-2'));
      await done;

      expect(sut.signedIn()).toBe(true);
      expect(sut.accessToken()).toBe('token-2');
    });

    it('makes a refresh asked for meanwhile wait for those tokens instead of presenting the revoked cookie', async () => {
      await signedIn();
      const done = sut.changePassword('correct horse', 'a new secret');
      const request = await nextRequest('/api/users/me/password');
      // The server closed the socket as it ended the old session: the realtime service asks to renew.
      const renewed = sut.renewAfter('token-1');
      request.flush(authResponse('token-2'));

      expect(await renewed).toBe(true);
      await done;
      http.expectNone('/api/auth/refresh');
      expect(sut.accessToken()).toBe('token-2');
    });

    it('rejects a wrong current password and keeps the session as it was', async () => {
      await signedIn();
      const done = sut.changePassword('wrong', 'a new secret');
      (await nextRequest('/api/users/me/password')).flush({ code: 'WRONG_PASSWORD', message: 'x' }, { status: 403, statusText: 'Forbidden' });

      await expect(done).rejects.toBeInstanceOf(HttpErrorResponse);
      expect(sut.accessToken()).toBe('token-1');
      // Later refreshes go to the server as usual.
      const refreshed = sut.refresh();
      (await nextRequest('/api/auth/refresh')).flush(authResponse('token-3'));
      expect(await refreshed).toBe(true);
    });
  });

  describe('updateUser', () => {
    it('replaces the signed-in user, and ignores another user', async () => {
      const signIn = sut.signIn('alice', 'correct horse');
      (await nextRequest('/api/auth/login')).flush(authResponse('token-1'));
      await signIn;

      sut.updateUser({ ...authResponse('x').user, displayName: 'Alice Pleasance' });
      expect(sut.user()?.displayName).toBe('Alice Pleasance');
      expect(sut.accessToken()).toBe('token-1');
      sut.updateUser({ ...authResponse('x').user, id: 'someone-else', displayName: 'Mallory' });
      expect(sut.user()?.displayName).toBe('Alice Pleasance');
    });
  });
});
