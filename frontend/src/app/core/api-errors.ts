import { HttpErrorResponse } from '@angular/common/http';
import type { ApiErrorDto } from '../../sdk/models/api-error-dto';

const MESSAGES: Record<string, string> = {
  USERNAME_TAKEN: 'This username is already taken. Try another one.',
  INVALID_CREDENTIALS: 'Wrong username or password.',
  SESSION_REVOKED: 'Your session has ended. Please sign in again.',
  SESSION_EXPIRED: 'Your session has expired. Please sign in again.',
  DATABASE_UNAVAILABLE: 'The server cannot reach its database right now. Try again in a moment.',
  FILE_TOO_LARGE: 'This file is larger than the server accepts.',
  IMAGE_TOO_LARGE: 'This image has too many pixels. Send a smaller version of it.',
  NOT_AN_IMAGE: 'This file is not an image, although its name or type says so.',
  INVALID_IMAGE: 'This image is damaged and cannot be read.',
  UNSUPPORTED_IMAGE: 'This kind of image cannot be cleaned of its location data, so it is not accepted. Send a JPEG, PNG, WebP, GIF or AVIF.',
  EMPTY_FILE: 'This file is empty.',
  SERVER_BUSY: 'The server is busy right now. Try again in a moment.',
  ATTACHMENT_NOT_FOUND: 'This file is no longer available.',
};

/** The error code the API sent, if any. */
export function errorCode(error: unknown): string | null {
  return apiError(error)?.code ?? null;
}

/** A sentence for the user about a failed API call. */
export function describeError(error: unknown): string {
  if (!(error instanceof HttpErrorResponse)) return 'Something went wrong. Please try again.';
  if (error.status === 0) return 'Cannot reach the server. Check your connection and try again.';
  const body = apiError(error);
  if (body?.code === 'RATE_LIMITED' || error.status === 429) {
    const seconds = Number(error.headers.get('retry-after'));
    return seconds > 0 ? `Too many attempts. Try again in ${seconds} s.` : 'Too many attempts. Try again in a minute.';
  }
  if (body?.code && MESSAGES[body.code]) return MESSAGES[body.code];
  if (body?.code === 'VALIDATION_FAILED' && body.details?.length) {
    return body.details.flatMap((detail) => detail.messages).join(' ');
  }
  if (error.status >= 500) return 'Something went wrong on the server. Please try again.';
  return body?.message ?? 'Something went wrong. Please try again.';
}

function apiError(error: unknown): ApiErrorDto | null {
  if (!(error instanceof HttpErrorResponse)) return null;
  const body: unknown = error.error;
  return body !== null && typeof body === 'object' && 'code' in body ? (body as ApiErrorDto) : null;
}
