import { HttpErrorResponse, HttpHeaders } from '@angular/common/http';
import { SocketSendError } from '../../../core/realtime';
import { classifySendFailure, SendAckRefusal } from './refusal';

const failure = (status: number, body: unknown = null, headers = new HttpHeaders()) => new HttpErrorResponse({ status, error: body, headers });

describe('classifySendFailure', () => {
  it('waits and sends again when the server cannot be reached or fails on its side', () => {
    expect(classifySendFailure(failure(0))).toEqual({ kind: 'transient' });
    expect(classifySendFailure(failure(503, { code: 'DATABASE_UNAVAILABLE' }))).toEqual({ kind: 'transient' });
  });

  it('pauses for the rate limit as long as Retry-After says, and says so', () => {
    const limited = classifySendFailure(failure(429, { code: 'RATE_LIMITED' }, new HttpHeaders({ 'retry-after': '12' })));
    expect(limited).toEqual({ kind: 'wait', seconds: 12, reason: 'Too many attempts. Try again in 12 s.' });
  });

  it('counts CLIENT_ID_CONFLICT as delivered: the server already has a message with this clientId', () => {
    expect(classifySendFailure(failure(409, { code: 'CLIENT_ID_CONFLICT' }))).toEqual({ kind: 'delivered' });
    expect(classifySendFailure(failure(409, { code: 'MESSAGE_NOT_EDITABLE' }))).toMatchObject({ kind: 'refused' });
  });

  it('keeps a refusal with its code and the reason in words', () => {
    expect(classifySendFailure(failure(403, { code: 'BLOCKED' }))).toEqual({
      kind: 'refused',
      refusal: { code: 'BLOCKED', reason: 'This conversation is read-only because one of you blocked the other.' },
    });
    expect(classifySendFailure(failure(403, { code: 'NOT_FRIENDS' }))).toMatchObject({ refusal: { code: 'NOT_FRIENDS', reason: 'You are not friends with this person.' } });
    expect(classifySendFailure(failure(403, { code: 'PEER_GONE' }))).toMatchObject({ refusal: { code: 'PEER_GONE' } });
    expect(classifySendFailure(failure(413, { code: 'CIPHERTEXT_TOO_LARGE' }))).toMatchObject({ refusal: { reason: expect.stringContaining('too large') } });
    expect(classifySendFailure(failure(400, { code: 'VALIDATION_FAILED', details: [{ field: 'body', messages: ['body must be at most 4000 characters'] }] }))).toMatchObject({
      refusal: { code: 'VALIDATION_FAILED', reason: 'body must be at most 4000 characters' },
    });
  });
});

describe('classifySendFailure of a message.send over the socket', () => {
  const refused = (code: string, extra: { message?: string; retryAfterSeconds?: number } = {}) => new SendAckRefusal({ ok: false, code, ...extra });

  it('sends again later when no answer came (a timeout, a dropped socket)', () => {
    expect(classifySendFailure(new SocketSendError('operation has timed out'))).toEqual({ kind: 'transient' });
  });

  it('sends again later on the codes of a server in trouble, as it does on a 5xx', () => {
    for (const code of ['INTERNAL_ERROR', 'DATABASE_UNAVAILABLE', 'SERVICE_UNAVAILABLE', 'TRY_AGAIN']) {
      expect(classifySendFailure(refused(code)), code).toEqual({ kind: 'transient' });
      expect(classifySendFailure(failure(503, { code })), code).toEqual({ kind: 'transient' });
    }
  });

  it('sends again later when the socket\'s token ran out or its session ended: the socket comes back with a fresh token', () => {
    expect(classifySendFailure(refused('TOKEN_EXPIRED'))).toEqual({ kind: 'transient' });
    expect(classifySendFailure(refused('SESSION_REVOKED'))).toEqual({ kind: 'transient' });
  });

  it('pauses for the rate limit as long as the acknowledgement says, in the words a 429 gets', () => {
    const http = classifySendFailure(failure(429, { code: 'RATE_LIMITED' }, new HttpHeaders({ 'retry-after': '12' })));
    expect(classifySendFailure(refused('RATE_LIMITED', { retryAfterSeconds: 12 }))).toEqual(http);
    expect(http).toEqual({ kind: 'wait', seconds: 12, reason: 'Too many attempts. Try again in 12 s.' });
  });

  it('counts CLIENT_ID_CONFLICT as delivered', () => {
    expect(classifySendFailure(refused('CLIENT_ID_CONFLICT'))).toEqual({ kind: 'delivered' });
  });

  it('keeps a domain refusal exactly as the same refusal over HTTP', () => {
    const cases: [string, number][] = [
      ['BLOCKED', 403],
      ['NOT_FRIENDS', 403],
      ['PEER_GONE', 403],
      ['CONVERSATION_NOT_FOUND', 404],
      ['ENCRYPTION_MISMATCH', 409],
      ['CIPHERTEXT_TOO_LARGE', 413],
    ];
    for (const [code, status] of cases) {
      const viaSocket = classifySendFailure(refused(code, { message: 'the server says' }));
      expect(viaSocket, code).toEqual(classifySendFailure(failure(status, { code, message: 'the server says' })));
      expect(viaSocket, code).toMatchObject({ kind: 'refused', refusal: { code } });
    }
    // A code this client has no words for: the server's own.
    expect(classifySendFailure(refused('VALIDATION_FAILED', { message: 'body must be a string' }))).toEqual({
      kind: 'refused',
      refusal: { code: 'VALIDATION_FAILED', reason: 'body must be a string' },
    });
  });
});
