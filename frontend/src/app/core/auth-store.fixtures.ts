import type { AuthResponseDto } from '../../sdk/models/auth-response-dto';

/** A login/refresh answer for specs. */
export function authResponse(accessToken: string, expiresIn = 900): AuthResponseDto {
  return {
    accessToken,
    refreshToken: null,
    expiresIn,
    user: { id: 'u1', username: 'alice', displayName: 'Alice', avatarVersion: null, statusMessage: '', role: 'user', createdAt: '2026-01-01T00:00:00.000Z' },
  };
}
