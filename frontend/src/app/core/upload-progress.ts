import { HttpContextToken, HttpEventType, type HttpInterceptorFn } from '@angular/common/http';
import { tap } from 'rxjs';

/** Told how many bytes of the request body have gone out; `total` is null when the browser cannot say. */
export type UploadProgressListener = (loaded: number, total: number | null) => void;

/**
 * Set on a request's HttpContext to follow its upload. The generated SDK functions pass the context on
 * and drop every event but the response, so the listener is how progress reaches the caller.
 */
export const UPLOAD_PROGRESS = new HttpContextToken<UploadProgressListener | null>(() => null);

/** Asks for progress events on requests that carry an UPLOAD_PROGRESS listener, and feeds it. */
export const uploadProgressInterceptor: HttpInterceptorFn = (request, next) => {
  const listener = request.context.get(UPLOAD_PROGRESS);
  if (!listener) return next(request);
  return next(request.clone({ reportProgress: true })).pipe(
    tap((event) => {
      if (event.type === HttpEventType.UploadProgress) listener(event.loaded, event.total ?? null);
    }),
  );
};
