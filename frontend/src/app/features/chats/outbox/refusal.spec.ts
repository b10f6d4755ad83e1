import { HttpErrorResponse, HttpHeaders } from '@angular/common/http';
import { classifySendFailure } from './refusal';

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
