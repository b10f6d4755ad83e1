import { HttpErrorResponse } from '@angular/common/http';
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/browser';
import type { AuthenticationCredentialDto } from '../../sdk/models/authentication-credential-dto';
import type { PasskeyAuthenticationOptionsDto } from '../../sdk/models/passkey-authentication-options-dto';
import type { PasskeyRegistrationOptionsDto } from '../../sdk/models/passkey-registration-options-dto';
import type { RegistrationCredentialDto } from '../../sdk/models/registration-credential-dto';
import { describeError, errorCode } from './api-errors';

/** Whether this browser can make and use passkeys at all (WebAuthn, in a secure context). */
export const passkeysSupported = (): boolean => typeof globalThis.PublicKeyCredential === 'function';

/** Loaded on first use: the sign-in page is in the first bundle, and most sign-ins type a password. */
const webauthn = () => import('@simplewebauthn/browser');

/**
 * Asks the browser (and the authenticator: a fingerprint, the phone, a security key) to make a passkey
 * from the server's options. The SDK's option and answer types describe the same JSON as the WebAuthn ones.
 */
export async function createPasskey(options: PasskeyRegistrationOptionsDto): Promise<RegistrationCredentialDto> {
  const answer = await (await webauthn()).startRegistration({ optionsJSON: options as unknown as PublicKeyCredentialCreationOptionsJSON });
  return answer as unknown as RegistrationCredentialDto;
}

/** Asks the browser to sign the server's challenge with a passkey (any of this site's, unless the options name some). */
export async function usePasskey(options: PasskeyAuthenticationOptionsDto): Promise<AuthenticationCredentialDto> {
  const answer = await (await webauthn()).startAuthentication({ optionsJSON: options as unknown as PublicKeyCredentialRequestOptionsJSON });
  return answer as unknown as AuthenticationCredentialDto;
}

const API_MESSAGES: Record<string, string> = {
  PASSKEY_UNKNOWN: 'This passkey is not registered here: it may have been removed. Sign in with your password.',
  PASSKEY_INVALID: 'The passkey could not be verified. Try again.',
  PASSKEY_REPLAYED: 'This passkey answer was already used. Try again.',
  PASSKEY_CHALLENGE_USED: 'This passkey answer was already used. Try again.',
  PASSKEY_CHALLENGE_EXPIRED: 'That took too long. Try again.',
  PASSKEY_CHALLENGE_INVALID: 'The request expired. Try again.',
  PASSKEY_ALREADY_REGISTERED: 'This passkey is already registered.',
  PASSKEY_NOT_FOUND: 'This account has no passkey. Use a code instead.',
};

/** A sentence for the user about a failed passkey step: the browser's refusal, or the server's answer. */
export function describePasskeyError(error: unknown): string {
  if (error instanceof HttpErrorResponse) {
    const code = errorCode(error);
    return (code && API_MESSAGES[code]) || describeError(error);
  }
  // @simplewebauthn/browser's WebAuthnError says why in `code`; the browser's own DOMExceptions in `name`.
  const code = error instanceof Error && 'code' in error ? (error as { code: unknown }).code : null;
  const name = error instanceof Error ? error.name : '';
  if (code === 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED' || name === 'InvalidStateError') return 'This device already holds a passkey for your account.';
  if (name === 'NotAllowedError' || name === 'AbortError' || code === 'ERROR_CEREMONY_ABORTED') {
    return 'The passkey request was cancelled or not allowed. Try again when you are ready.';
  }
  if (name === 'SecurityError' || code === 'ERROR_INVALID_DOMAIN' || code === 'ERROR_INVALID_RP_ID') {
    return 'Passkeys do not work at this address. Open Iris at its usual address.';
  }
  if (name === 'NotSupportedError') return 'This browser or device cannot make that kind of passkey.';
  return 'Your browser could not use a passkey. Try again.';
}
