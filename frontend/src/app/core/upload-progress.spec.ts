import { HttpClient, HttpContext, HttpEventType, HttpRequest, provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { firstValueFrom, last } from 'rxjs';
import { authInterceptor } from './auth-interceptor';
import { AuthStore } from './auth-store';
import { authResponse } from './auth-store.fixtures';
import { UPLOAD_PROGRESS, uploadProgressInterceptor } from './upload-progress';

describe('uploadProgressInterceptor', () => {
  let client: HttpClient;
  let http: HttpTestingController;

  const nextRequest = (url: string) => vi.waitFor(() => http.expectOne(url));

  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [provideHttpClient(withInterceptors([authInterceptor, uploadProgressInterceptor])), provideHttpClientTesting()],
    });
    client = TestBed.inject(HttpClient);
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => http.verify());

  it('leaves requests without a listener alone', async () => {
    const response = firstValueFrom(client.request(new HttpRequest('POST', '/api/attachments', new FormData())).pipe(last()));
    const request = await nextRequest('/api/attachments');
    expect(request.request.reportProgress).toBe(false);
    request.flush({ id: 'a1' });
    await response;
  });

  it('asks for progress and tells the listener', async () => {
    const listener = vi.fn();
    const context = new HttpContext().set(UPLOAD_PROGRESS, listener);
    const response = firstValueFrom(client.request(new HttpRequest('POST', '/api/attachments', new FormData(), { context })).pipe(last()));
    const request = await nextRequest('/api/attachments');
    expect(request.request.reportProgress).toBe(true);
    request.event({ type: HttpEventType.UploadProgress, loaded: 40, total: 100 });
    request.event({ type: HttpEventType.UploadProgress, loaded: 100 });
    request.flush({ id: 'a1' });
    await response;
    expect(listener.mock.calls).toEqual([
      [40, 100],
      [100, null],
    ]);
  });

  it('reports the upload again when the auth interceptor retries it after a refresh', async () => {
    const auth = TestBed.inject(AuthStore);
    const signedIn = auth.signIn('alice', 'correct horse');
    (await nextRequest('/api/auth/login')).flush(authResponse('token-1'));
    await signedIn;

    const listener = vi.fn();
    const context = new HttpContext().set(UPLOAD_PROGRESS, listener);
    const response = firstValueFrom(client.request(new HttpRequest('POST', '/api/attachments', new FormData(), { context })).pipe(last()));
    const first = await nextRequest('/api/attachments');
    first.event({ type: HttpEventType.UploadProgress, loaded: 100, total: 100 });
    first.flush(null, { status: 401, statusText: 'Unauthorized' });
    (await nextRequest('/api/auth/refresh')).flush(authResponse('token-2'));
    const second = await nextRequest('/api/attachments');
    expect(second.request.headers.get('Authorization')).toBe('Bearer token-2');
    expect(second.request.reportProgress).toBe(true);
    second.event({ type: HttpEventType.UploadProgress, loaded: 30, total: 100 });
    second.flush({ id: 'a1' });
    await response;
    expect(listener.mock.calls.map(([loaded]) => loaded)).toEqual([100, 30]);
  });
});
