import { HttpErrorResponse } from '@angular/common/http';
import { describeError, errorCode } from '../../../core/api-errors';
import type { Refusal } from './outbox-db';

/** What a failed send means for the outbox. */
export type SendFailure =
  /** The server could not be reached, or failed on its side: send again later, in order. */
  | { kind: 'transient' }
  /** Too many messages: wait this long, then send again. */
  | { kind: 'wait'; seconds: number; reason: string }
  /** The server already has a message with this clientId: the resend's work is done. */
  | { kind: 'delivered' }
  /** Refused for good: the message waits for the user. */
  | { kind: 'refused'; refusal: Refusal };

const DEFAULT_WAIT_SECONDS = 60;

export function classifySendFailure(error: unknown): SendFailure {
  if (!(error instanceof HttpErrorResponse)) return { kind: 'refused', refusal: { code: 'CLIENT_ERROR', reason: describeError(error) } };
  // 401 too: the interceptor already tried a new token, so the session is ending or the server is in trouble.
  if (error.status === 0 || error.status === 401 || error.status === 408 || error.status >= 500) return { kind: 'transient' };
  // 409 CLIENT_ID_CONFLICT: an earlier attempt got through (its answer was lost) and the original has
  // since been deleted or has expired, or the retry's ciphertext differs from it. The same content answers 200.
  if (error.status === 409 && errorCode(error) === 'CLIENT_ID_CONFLICT') return { kind: 'delivered' };
  if (error.status === 429) {
    const seconds = Number(error.headers.get('retry-after'));
    return { kind: 'wait', seconds: seconds > 0 ? seconds : DEFAULT_WAIT_SECONDS, reason: describeError(error) };
  }
  return { kind: 'refused', refusal: { code: errorCode(error) ?? `HTTP_${error.status}`, reason: describeError(error) } };
}
