import { ForbiddenException, UnauthorizedException } from '@nestjs/common';

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
  | 'WRONG_PASSWORD';

export const unauthorized = (code: AuthErrorCode, message: string) => new UnauthorizedException({ code, message });
export const sessionRevoked = () => unauthorized('SESSION_REVOKED', 'This session has ended; sign in again');
export const wrongPassword = (message = 'The current password is wrong') => new ForbiddenException({ code: 'WRONG_PASSWORD', message });
