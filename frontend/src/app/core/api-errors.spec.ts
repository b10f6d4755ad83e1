import { HttpErrorResponse, HttpHeaders } from '@angular/common/http';
import { describeError, errorCode } from './api-errors';

function apiError(status: number, body: object | null, headers: Record<string, string> = {}): HttpErrorResponse {
  return new HttpErrorResponse({ status, error: body, headers: new HttpHeaders(headers) });
}

describe('describeError', () => {
  it('puts known codes in words', () => {
    expect(describeError(apiError(409, { code: 'USERNAME_TAKEN', message: 'Username taken' }))).toBe(
      'This username is already taken. Try another one.',
    );
    expect(describeError(apiError(401, { code: 'INVALID_CREDENTIALS', message: 'Invalid' }))).toBe('Wrong username or password.');
    expect(describeError(apiError(409, { code: 'LAST_ADMIN', message: 'x' }))).toBe(
      'This is the last administrator, so the account cannot be erased. Make someone else an admin first.',
    );
  });

  it('puts the friends and blocks codes in words', () => {
    expect(describeError(apiError(409, { code: 'ALREADY_FRIENDS', message: 'x' }))).toBe('You are already friends.');
    expect(describeError(apiError(409, { code: 'REQUEST_ALREADY_SENT', message: 'x' }))).toBe('You have already sent this person a friend request.');
    expect(describeError(apiError(404, { code: 'FRIEND_REQUEST_NOT_FOUND', message: 'x' }))).toBe('This friend request is no longer pending.');
    expect(describeError(apiError(403, { code: 'USER_BLOCKED', message: 'x' }))).toBe('You have blocked this person. Unblock them first.');
    expect(describeError(apiError(403, { code: 'BLOCKED', message: 'x' }))).toContain('read-only');
  });

  it('explains why an upload was refused', () => {
    expect(describeError(apiError(413, { code: 'FILE_TOO_LARGE', message: 'Files may be at most 50 MB' }))).toBe('This file is larger than the server accepts.');
    expect(describeError(apiError(415, { code: 'INVALID_IMAGE', message: 'x' }))).toBe('This image is damaged and cannot be read.');
    expect(describeError(apiError(503, { code: 'SERVER_BUSY', message: 'x' }))).toBe('The server is busy right now. Try again in a moment.');
    expect(describeError(apiError(429, { code: 'IMAGE_QUEUE_FULL', message: 'x' }, { 'Retry-After': '2' }))).toBe(
      'Your other images are still being processed. Try this one again in a moment.',
    );
    expect(describeError(apiError(415, { code: 'INVALID_VIDEO', message: 'x' }))).toContain('location data');
  });

  it('says how long to wait when rate-limited', () => {
    expect(describeError(apiError(429, { code: 'RATE_LIMITED', message: 'x' }, { 'Retry-After': '42' }))).toBe(
      'Too many attempts. Try again in 42 s.',
    );
    expect(describeError(apiError(429, null))).toBe('Too many attempts. Try again in a minute.');
  });

  it('lists the field errors of a validation failure', () => {
    const error = apiError(400, {
      code: 'VALIDATION_FAILED',
      message: 'Invalid input',
      details: [{ field: 'username', messages: ['username must be 3-32 characters.'] }],
    });
    expect(describeError(error)).toBe('username must be 3-32 characters.');
  });

  it('tells an unreachable server from a failing one', () => {
    expect(describeError(apiError(0, null))).toMatch(/Cannot reach the server/);
    expect(describeError(apiError(500, { code: 'INTERNAL_ERROR', message: 'Internal server error' }))).toMatch(/on the server/);
  });

  it('falls back to the server message for other codes', () => {
    expect(describeError(apiError(403, { code: 'SOMETHING_NEW', message: 'Something new happened' }))).toBe('Something new happened');
    expect(errorCode(apiError(403, { code: 'NOT_FRIENDS', message: 'x' }))).toBe('NOT_FRIENDS');
    expect(errorCode(new Error('boom'))).toBeNull();
  });
});
