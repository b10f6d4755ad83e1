import { HttpErrorResponse } from '@angular/common/http';
import type { ApiErrorDto } from '../../sdk/models/api-error-dto';

const MESSAGES: Record<string, string> = {
  USERNAME_TAKEN: 'This username is already taken. Try another one.',
  INVALID_CREDENTIALS: 'Wrong username or password.',
  SESSION_REVOKED: 'Your session has ended. Please sign in again.',
  SESSION_EXPIRED: 'Your session has expired. Please sign in again.',
  WRONG_PASSWORD: 'That password is not right.',
  DATABASE_UNAVAILABLE: 'The server cannot reach its database right now. Try again in a moment.',
  FORBIDDEN: 'You are not allowed to do that.',
  LAST_ADMIN: 'This is the last administrator, so the account cannot be erased. Make someone else an admin first.',
  INVALID_CURSOR: 'The list changed meanwhile. Reload it and try again.',
  ALREADY_FRIENDS: 'You are already friends.',
  REQUEST_ALREADY_SENT: 'You have already sent this person a friend request.',
  FRIEND_REQUEST_NOT_FOUND: 'This friend request is no longer pending.',
  NOT_FRIENDS: 'You are not friends with this person.',
  CANNOT_FRIEND_SELF: 'You cannot send a friend request to yourself.',
  USER_BLOCKED: 'You have blocked this person. Unblock them first.',
  USER_NOT_FOUND: 'This person could not be found.',
  CANNOT_BLOCK_SELF: 'You cannot block yourself.',
  BLOCKED: 'This conversation is read-only because one of you blocked the other.',
  CANNOT_CHAT_WITH_SELF: 'You cannot start a conversation with yourself.',
  FILE_TOO_LARGE: 'This file is larger than the server accepts.',
  IMAGE_TOO_LARGE: 'This image has too many pixels. Send a smaller version of it.',
  NOT_AN_IMAGE: 'This file is not an image, although its name or type says so.',
  INVALID_IMAGE: 'This image is damaged and cannot be read.',
  UNSUPPORTED_IMAGE: 'This kind of image cannot be cleaned of its location data, so it is not accepted. Send a JPEG, PNG, WebP, GIF or AVIF.',
  EMPTY_FILE: 'This file is empty.',
  SERVER_BUSY: 'The server is busy right now. Try again in a moment.',
  ATTACHMENT_NOT_FOUND: 'This file is no longer available.',
  ENCRYPTION_MISMATCH: 'This conversation\u2019s encryption changed meanwhile. Try again.',
  ENCRYPTION_IRREVERSIBLE: 'End-to-end encryption cannot be turned off again.',
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
