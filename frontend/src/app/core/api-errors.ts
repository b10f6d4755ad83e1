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
  PEER_GONE: 'This account was deleted: nobody can receive new messages here.',
  CONVERSATION_NOT_FOUND: 'This conversation no longer exists.',
  CIPHERTEXT_TOO_LARGE: 'This message is too large to send. Shorten it or send fewer files.',
  CLIENT_ID_CONFLICT: 'The server already has a different message under this one\u2019s id. Copy the text and send it again.',
  RELATED_MESSAGE_NOT_FOUND: 'The message this one answers is no longer there.',
  CANNOT_FRIEND_SELF: 'You cannot send a friend request to yourself.',
  USER_BLOCKED: 'You have blocked this person. Unblock them first.',
  USER_NOT_FOUND: 'This person could not be found.',
  CANNOT_BLOCK_SELF: 'You cannot block yourself.',
  BLOCKED: 'This conversation is read-only because one of you blocked the other.',
  CANNOT_CHAT_WITH_SELF: 'You cannot start a conversation with yourself.',
  FILE_TOO_LARGE: 'This file is larger than the server accepts.',
  IMAGE_TOO_LARGE: 'This image has too many pixels or, for an animation, too many frames. Send a smaller version of it.',
  IMAGE_QUEUE_FULL: 'Your other images are still being processed. Try this one again in a moment.',
  INVALID_VIDEO: 'This video is damaged, so it cannot be cleaned of its location data and is not accepted.',
  NOT_AN_IMAGE: 'This file is not an image, although its name or type says so.',
  INVALID_IMAGE: 'This image is damaged and cannot be read.',
  UNSUPPORTED_IMAGE: 'This kind of image cannot be cleaned of its location data, so it is not accepted. Send a JPEG, PNG, WebP, GIF or AVIF.',
  EMPTY_FILE: 'This file is empty.',
  SERVER_BUSY: 'The server is busy right now. Try again in a moment.',
  ATTACHMENT_NOT_FOUND: 'This file is no longer available.',
  ENCRYPTION_MISMATCH: 'This conversation\u2019s encryption changed meanwhile. Try again.',
  SESSION_NOT_FOUND: 'This session has already ended.',
  MFA_TOKEN_EXPIRED: 'That took too long. Sign in again.',
  MFA_TOKEN_INVALID: 'Sign in again.',
  INVALID_TOTP_CODE: 'That code is not right. Check the time on your phone and try the current code.',
  TOTP_CODE_REUSED: 'That code was already used. Wait for the next one.',
  RECOVERY_CODE_INVALID: 'That is neither a current code nor one of your recovery codes.',
  RECOVERY_CODE_USED: 'That recovery code was already used.',
  TOTP_ALREADY_ENABLED: 'Two-factor authentication is already on.',
  TOTP_NOT_ENABLED: 'Two-factor authentication is not on.',
  ADMIN_2FA_REQUIRED: 'Turn on two-factor authentication in Settings to use the admin pages.',
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
  return describeApiError(apiAnswer(error));
}

/** The HTTP error's status, body and Retry-After, in the shape a socket acknowledgement has them too. */
export function apiAnswer(error: HttpErrorResponse): ApiAnswer {
  const body = apiError(error);
  return { status: error.status, code: body?.code ?? null, message: body?.message, details: body?.details, retryAfterSeconds: Number(error.headers.get('retry-after')) };
}

/** What the server answered, from an HTTP error or a socket acknowledgement (which has no status). */
export interface ApiAnswer {
  status?: number;
  code?: string | null;
  message?: string;
  details?: ApiErrorDto['details'];
  retryAfterSeconds?: number | null;
}

/** A sentence for the user about the server's refusal, however it came. */
export function describeApiError({ status, code, message, details, retryAfterSeconds }: ApiAnswer): string {
  if (code === 'RATE_LIMITED' || (status === 429 && !(code && MESSAGES[code]))) {
    const seconds = Number(retryAfterSeconds);
    return seconds > 0 ? `Too many attempts. Try again in ${seconds} s.` : 'Too many attempts. Try again in a minute.';
  }
  if (code && MESSAGES[code]) return MESSAGES[code];
  if (code === 'VALIDATION_FAILED' && details?.length) {
    return details.flatMap((detail) => detail.messages).join(' ');
  }
  if (status !== undefined && status >= 500) return 'Something went wrong on the server. Please try again.';
  return message ?? 'Something went wrong. Please try again.';
}

function apiError(error: unknown): ApiErrorDto | null {
  if (!(error instanceof HttpErrorResponse)) return null;
  // A route that answers 204 is read as text, so its error body arrives unparsed.
  const body: unknown = typeof error.error === 'string' ? parsedJson(error.error) : error.error;
  return body !== null && typeof body === 'object' && 'code' in body ? (body as ApiErrorDto) : null;
}

function parsedJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
