import { HttpClient, HttpErrorResponse, provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { firstValueFrom } from 'rxjs';
import { authInterceptor } from './auth-interceptor';
import { AuthStore } from './auth-store';
import { authResponse } from './auth-store.fixtures';

describe('authInterceptor', () => {
  let client: HttpClient;
  let http: HttpTestingController;
  let auth: AuthStore;

  const nextRequest = (url: string) => vi.waitFor(() => http.expectOne(url));
  const unauthorized = { status: 401, statusText: 'Unauthorized' };

  async function signIn(token: string): Promise<void> {
    const done = auth.signIn('alice', 'correct horse');
    (await nextRequest('/api/auth/login')).flush(authResponse(token));
    await done;
  }

  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [provideHttpClient(withInterceptors([authInterceptor])), provideHttpClientTesting()],
    });
    client = TestBed.inject(HttpClient);
    http = TestBed.inject(HttpTestingController);
    auth = TestBed.inject(AuthStore);
  });

  afterEach(() => http.verify());

  it('adds the access token to API calls', async () => {
    await signIn('token-1');
    const response = firstValueFrom(client.get('/api/conversations'));
    const request = await nextRequest('/api/conversations');
    expect(request.request.headers.get('Authorization')).toBe('Bearer token-1');
    request.flush({ items: [], nextCursor: null });
    await response;
  });

  it('sends no token to login, register and refresh, nor outside the API', async () => {
    await signIn('token-1');
    const refresh = auth.refresh();
    const request = await nextRequest('/api/auth/refresh');
    expect(request.request.headers.has('Authorization')).toBe(false);
    request.flush(authResponse('token-2'));
    await refresh;

    const page = firstValueFrom(client.get('/favicon.ico', { responseType: 'text' }));
    const asset = await nextRequest('/favicon.ico');
    expect(asset.request.headers.has('Authorization')).toBe(false);
    asset.flush('');
    await page;
  });

  it('refreshes once after a 401 and retries with the new token', async () => {
    await signIn('token-1');
    const response = firstValueFrom(client.get<{ ok: boolean }>('/api/users/me'));
    (await nextRequest('/api/users/me')).flush({ code: 'TOKEN_EXPIRED' }, unauthorized);
    (await nextRequest('/api/auth/refresh')).flush(authResponse('token-2'));
    const retry = await nextRequest('/api/users/me');
    expect(retry.request.headers.get('Authorization')).toBe('Bearer token-2');
    retry.flush({ ok: true });

    expect(await response).toEqual({ ok: true });
  });

  it('gives up after the retry fails too, without refreshing again', async () => {
    await signIn('token-1');
    const response = firstValueFrom(client.get('/api/users/me'));
    (await nextRequest('/api/users/me')).flush({ code: 'TOKEN_EXPIRED' }, unauthorized);
    (await nextRequest('/api/auth/refresh')).flush(authResponse('token-2'));
    (await nextRequest('/api/users/me')).flush({ code: 'SESSION_REVOKED' }, unauthorized);

    const error = await response.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HttpErrorResponse);
    expect((error as HttpErrorResponse).status).toBe(401);
    http.expectNone('/api/auth/refresh');
  });

  it('shares one refresh between requests that fail together', async () => {
    await signIn('token-1');
    const first = firstValueFrom(client.get('/api/conversations'));
    const second = firstValueFrom(client.get('/api/users/me'));
    (await nextRequest('/api/conversations')).flush({ code: 'TOKEN_EXPIRED' }, unauthorized);
    (await nextRequest('/api/users/me')).flush({ code: 'TOKEN_EXPIRED' }, unauthorized);
    (await nextRequest('/api/auth/refresh')).flush(authResponse('token-2'));
    http.expectNone('/api/auth/refresh');

    (await nextRequest('/api/conversations')).flush({ items: [] });
    (await nextRequest('/api/users/me')).flush({ id: 'u1' });
    await Promise.all([first, second]);
  });

  it('retries without refreshing when another request already got a newer token', async () => {
    await signIn('token-1');
    const response = firstValueFrom(client.get('/api/users/me'));
    const stale = await nextRequest('/api/users/me');
    const refresh = auth.refresh();
    (await nextRequest('/api/auth/refresh')).flush(authResponse('token-2'));
    await refresh;

    stale.flush({ code: 'TOKEN_EXPIRED' }, unauthorized);
    const retry = await nextRequest('/api/users/me');
    expect(retry.request.headers.get('Authorization')).toBe('Bearer token-2');
    retry.flush({ id: 'u1' });
    await response;
    http.expectNone('/api/auth/refresh');
  });

  it('passes the 401 on and signs out when the refresh is refused', async () => {
    await signIn('token-1');
    const response = firstValueFrom(client.get('/api/users/me'));
    (await nextRequest('/api/users/me')).flush({ code: 'TOKEN_EXPIRED' }, unauthorized);
    (await nextRequest('/api/auth/refresh')).flush({ code: 'SESSION_EXPIRED' }, unauthorized);

    await expect(response).rejects.toBeInstanceOf(HttpErrorResponse);
    expect(auth.signedIn()).toBe(false);
  });

  it('does not refresh after a wrong password at sign-in', async () => {
    const done = auth.signIn('alice', 'wrong password');
    (await nextRequest('/api/auth/login')).flush({ code: 'INVALID_CREDENTIALS' }, unauthorized);
    await expect(done).rejects.toBeInstanceOf(HttpErrorResponse);
    http.expectNone('/api/auth/refresh');
  });
});
