import { BadRequestException, ConflictException, ForbiddenException, NotFoundException, UnauthorizedException } from '@nestjs/common';

export type AuthErrorCode =
  | 'UNAUTHORIZED'
  | 'INVALID_CREDENTIALS'
  | 'REFRESH_TOKEN_MISSING'
  | 'INVALID_REFRESH_TOKEN'
  | 'REFRESH_TOKEN_REUSED'
  | 'SESSION_REVOKED'
  | 'SESSION_EXPIRED'
  | 'TOKEN_EXPIRED'
  | 'INVALID_TOKEN'
  | 'WRONG_PASSWORD'
  | 'SESSION_NOT_FOUND'
  | 'MFA_TOKEN_INVALID'
  | 'MFA_TOKEN_EXPIRED'
  | 'INVALID_TOTP_CODE'
  | 'TOTP_CODE_REUSED'
  | 'RECOVERY_CODE_INVALID'
  | 'RECOVERY_CODE_USED'
  | PasskeyErrorCode;

/** Why a passkey's answer was refused (see passkeys/passkeys.service.ts). */
export type PasskeyErrorCode =
  | 'PASSKEY_CHALLENGE_INVALID'
  | 'PASSKEY_CHALLENGE_EXPIRED'
  | 'PASSKEY_CHALLENGE_USED'
  | 'PASSKEY_UNKNOWN'
  | 'PASSKEY_INVALID'
  | 'PASSKEY_REPLAYED';

export const unauthorized = (code: AuthErrorCode, message: string) => new UnauthorizedException({ code, message });
export const sessionRevoked = () => unauthorized('SESSION_REVOKED', 'This session has ended; sign in again');
export const wrongPassword = (message = 'The current password is wrong') => new ForbiddenException({ code: 'WRONG_PASSWORD', message });
export const sessionNotFound = () => new NotFoundException({ code: 'SESSION_NOT_FOUND', message: 'Session not found' });
export const totpAlreadyEnabled = () => new ConflictException({ code: 'TOTP_ALREADY_ENABLED', message: 'Two-factor authentication is already on; turn it off first' });
export const totpSetupRequired = () => new ConflictException({ code: 'TOTP_SETUP_REQUIRED', message: 'Start the setup first: POST /api/auth/2fa/totp/setup' });
export const totpSetupChanged = () =>
  new ConflictException({ code: 'TOTP_SETUP_CHANGED', message: 'The setup was started again meanwhile (another tab?); scan the newest QR code and try again' });
export const totpNotEnabled = () => new ConflictException({ code: 'TOTP_NOT_ENABLED', message: 'Two-factor authentication is not on' });
/** A wrong second factor while signed in (enable, disable): 400, since 401 would end the client's session. */
export const invalidCode = (code: AuthErrorCode, message: string) => new BadRequestException({ code, message });
