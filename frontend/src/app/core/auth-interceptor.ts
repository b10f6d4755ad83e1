import { HttpErrorResponse, type HttpInterceptorFn, type HttpRequest } from '@angular/common/http';
import { inject } from '@angular/core';
import { catchError, from, switchMap, throwError } from 'rxjs';
import { AuthStore } from './auth-store';

/** These take no access token, and a 401 from them means wrong credentials, not an expired token. */
const NO_TOKEN = ['/api/auth/login', '/api/auth/register', '/api/auth/refresh'];

/** Adds the access token to API calls and, after a 401, retries once with a refreshed one. */
export const authInterceptor: HttpInterceptorFn = (request, next) => {
  const path = pathOf(request.url);
  if (!path.startsWith('/api/') || NO_TOKEN.includes(path)) return next(request);

  const auth = inject(AuthStore);
  const usedToken = auth.accessToken();
  return next(withToken(request, usedToken)).pipe(
    catchError((error: unknown) => {
      if (!(error instanceof HttpErrorResponse) || error.status !== 401 || path === '/api/auth/logout') {
        return throwError(() => error);
      }
      return from(auth.renewAfter(usedToken)).pipe(
        switchMap((renewed) => (renewed ? next(withToken(request, auth.accessToken())) : throwError(() => error))),
      );
    }),
  );
};

function withToken<T>(request: HttpRequest<T>, token: string | null): HttpRequest<T> {
  return token ? request.clone({ setHeaders: { Authorization: `Bearer ${token}` } }) : request;
}

function pathOf(url: string): string {
  return url.startsWith('/') ? url.split('?')[0] : new URL(url, 'http://localhost').pathname;
}
