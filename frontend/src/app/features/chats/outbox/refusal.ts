import { HttpErrorResponse } from '@angular/common/http';
import { type ApiAnswer, apiAnswer, describeApiError, describeError } from '../../../core/api-errors';
import { SocketSendError } from '../../../core/realtime';
import type { MessageSendAckDto } from '../../../../sdk/models/message-send-ack-dto';
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

/** A `message.send` the server answered with a refusal; its acknowledgement says why, in the send route's codes. */
export class SendAckRefusal extends Error {
  override readonly name = 'SendAckRefusal';

  constructor(readonly ack: MessageSendAckDto) {
    super(ack.message ?? ack.code ?? 'The server refused the message');
  }
}

const DEFAULT_WAIT_SECONDS = 60;

/**
 * Codes of a server that failed on its side (the codes of its 5xx answers), or of credentials that ran
 * out during the attempt. Over HTTP the status says as much; an acknowledgement has only the code.
 * After TOKEN_EXPIRED or SESSION_REVOKED the server closes the socket, which comes back with a fresh
 * token (or the refresh signs the user out), as a 401 on the REST route leads to a refresh.
 */
const TRY_AGAIN_CODES = new Set(['INTERNAL_ERROR', 'DATABASE_UNAVAILABLE', 'SERVICE_UNAVAILABLE', 'TRY_AGAIN', 'SERVER_BUSY', 'TOKEN_EXPIRED', 'SESSION_REVOKED']);

/** What a failed send (an HTTP error, a refused acknowledgement, a socket that did not answer) means for the outbox. */
export function classifySendFailure(error: unknown): SendFailure {
  // Nothing came back, so the message may or may not have arrived: its clientId makes the resend safe.
  if (error instanceof SocketSendError) return { kind: 'transient' };
  if (error instanceof SendAckRefusal) {
    const { code, message, retryAfterSeconds } = error.ack;
    return classifyAnswer({ code: code ?? null, message, retryAfterSeconds });
  }
  if (!(error instanceof HttpErrorResponse)) return { kind: 'refused', refusal: { code: 'CLIENT_ERROR', reason: describeError(error) } };
  if (error.status === 0) return { kind: 'transient' };
  return classifyAnswer(apiAnswer(error));
}

/** The one rule for a refused send, whichever way it went: by the HTTP status when there is one, and by the code. */
function classifyAnswer(answer: ApiAnswer): SendFailure {
  const { status, code } = answer;
  // 401 too: the interceptor already tried a new token, so the session is ending or the server is in trouble.
  if (status === 401 || status === 408 || (status !== undefined && status >= 500) || (code && TRY_AGAIN_CODES.has(code))) return { kind: 'transient' };
  // CLIENT_ID_CONFLICT: an earlier attempt got through (its answer was lost) and the original has since
  // been deleted or has expired, or the retry's ciphertext differs from it. The same content is answered as sent.
  if (code === 'CLIENT_ID_CONFLICT') return { kind: 'delivered' };
  if (status === 429 || code === 'RATE_LIMITED') {
    const seconds = Number(answer.retryAfterSeconds);
    return { kind: 'wait', seconds: seconds > 0 ? seconds : DEFAULT_WAIT_SECONDS, reason: describeApiError(answer) };
  }
  return { kind: 'refused', refusal: { code: code ?? `HTTP_${status}`, reason: describeApiError(answer) } };
}
