import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { AuthenticatedRequest } from '../common/current-user.decorator.js';
import { IS_PUBLIC, SESSION_CHECKED_BY_HANDLER } from '../common/public.decorator.js';
import { AuthService } from './auth.service.js';
import { unauthorized } from './errors.js';

/** Global guard: every HTTP route needs a valid access token unless it is marked @Public(). */
@Injectable()
export class AccessTokenGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authService: AuthService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const token = bearerToken(request.headers.authorization);
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic) {
      // Public routes may still use the caller's identity when a valid token comes along.
      if (token) request.user = await this.authService.authenticate(token).catch(() => undefined);
      return true;
    }
    if (!token) {
      throw unauthorized('UNAUTHORIZED', 'Sign in first: send Authorization: Bearer <accessToken>');
    }
    if (this.reflector.getAllAndOverride<boolean>(SESSION_CHECKED_BY_HANDLER, [context.getHandler(), context.getClass()])) {
      request.claims = await this.authService.verifyAccessToken(token);
      return true;
    }
    request.user = await this.authService.authenticate(token);
    return true;
  }
}

function bearerToken(header: string | undefined): string | undefined {
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return match?.[1];
}
