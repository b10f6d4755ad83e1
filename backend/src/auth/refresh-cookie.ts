import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuthResponseDto } from './dto/auth-response.dto.js';
import { toUserDto } from '../users/dto/user.dto.js';
import type { IssuedTokens, SignInOrigin } from './auth.service.js';
import { deviceNameOf } from './device-name.js';

export const REFRESH_COOKIE = 'iris_refresh';
const COOKIE_PATH = '/api/auth';

/**
 * Browsers send the Fetch Metadata headers Sec-Fetch-Site and Sec-Fetch-Dest on every request, and page
 * scripts cannot remove them. Node's fetch sends only Sec-Fetch-Mode, curl and apps send none.
 */
function isBrowser(request: FastifyRequest): boolean {
  return typeof request.headers['sec-fetch-site'] === 'string' && typeof request.headers['sec-fetch-dest'] === 'string';
}

export function readRefreshToken(request: FastifyRequest, fromBody: string | undefined): string | undefined {
  return fromBody ?? request.cookies[REFRESH_COOKIE];
}

/** Sets the httpOnly refresh cookie and builds the body; browsers never see the refresh token in it. */
export function sendTokens(
  request: FastifyRequest,
  reply: FastifyReply,
  tokens: IssuedTokens,
  secure: boolean,
): AuthResponseDto {
  void reply.setCookie(REFRESH_COOKIE, tokens.refreshToken, {
    httpOnly: true,
    sameSite: 'strict',
    secure,
    path: COOKIE_PATH,
    expires: tokens.sessionExpiresAt,
  });
  return {
    accessToken: tokens.accessToken,
    refreshToken: isBrowser(request) ? null : tokens.refreshToken,
    expiresIn: tokens.expiresIn,
    user: toUserDto(tokens.user),
  };
}

/** Where a sign-in comes from: the device name from its User-Agent, and its address. */
export function originOf(request: FastifyRequest): SignInOrigin {
  return { deviceName: deviceNameOf(request.headers['user-agent']), ip: request.ip || null };
}

export function clearRefreshCookie(reply: FastifyReply, secure: boolean): void {
  void reply.clearCookie(REFRESH_COOKIE, { httpOnly: true, sameSite: 'strict', secure, path: COOKIE_PATH });
}
