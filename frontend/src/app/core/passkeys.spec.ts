import { HttpErrorResponse } from '@angular/common/http';
import { describePasskeyError } from './passkeys';

const domError = (name: string) => Object.assign(new Error('browser says no'), { name });

describe('describePasskeyError', () => {
  it('tells a cancelled or refused ceremony from a passkey already on the device and a wrong address', () => {
    expect(describePasskeyError(domError('NotAllowedError'))).toBe('The passkey request was cancelled or not allowed. Try again when you are ready.');
    expect(describePasskeyError(Object.assign(domError('AbortError'), { code: 'ERROR_CEREMONY_ABORTED' }))).toContain('cancelled');
    expect(describePasskeyError(Object.assign(domError('InvalidStateError'), { code: 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED' }))).toBe(
      'This device already holds a passkey for your account.',
    );
    expect(describePasskeyError(Object.assign(domError('SecurityError'), { code: 'ERROR_INVALID_DOMAIN' }))).toBe(
      'Passkeys do not work at this address. Open Iris at its usual address.',
    );
    expect(describePasskeyError(domError('NotSupportedError'))).toBe('This browser or device cannot make that kind of passkey.');
    expect(describePasskeyError(domError('UnknownError'))).toBe('Your browser could not use a passkey. Try again.');
  });

  it('puts the server’s passkey codes in words, and others as every API error', () => {
    const answer = (status: number, code: string) => new HttpErrorResponse({ status, error: { code, message: 'x' } });
    expect(describePasskeyError(answer(401, 'PASSKEY_UNKNOWN'))).toContain('not registered here');
    expect(describePasskeyError(answer(401, 'PASSKEY_CHALLENGE_USED'))).toBe('This passkey answer was already used. Try again.');
    expect(describePasskeyError(answer(401, 'MFA_TOKEN_EXPIRED'))).toBe('That took too long. Sign in again.');
    // A 204 route's error arrives as text: still read as the API's error.
    const asText = new HttpErrorResponse({ status: 403, error: JSON.stringify({ code: 'WRONG_PASSWORD', message: 'x' }) });
    expect(describePasskeyError(asText)).toBe('That password is not right.');
  });
});
