import { CanActivate, ExecutionContext, ForbiddenException, Injectable } from '@nestjs/common';
import type { AuthenticatedRequest } from '../common/current-user.decorator.js';
import { AppConfig } from '../config/app-config.js';
import { TotpService } from './totp.service.js';

/**
 * With REQUIRE_ADMIN_2FA, the admin routes answer an admin only when their two-factor authentication is
 * on and the calling session proved it (a two-step sign-in, or the session that turned it on; see
 * Session.mfaAt): a session signed in with the password alone, before 2FA was turned on, gets 403
 * ADMIN_2FA_REQUIRED like an admin without 2FA, and Settings shows what to do. Runs after RolesGuard.
 */
@Injectable()
export class AdminTwoFactorGuard implements CanActivate {
  constructor(
    private readonly totp: TotpService,
    private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (!this.config.REQUIRE_ADMIN_2FA) return true;
    const user = context.switchToHttp().getRequest<AuthenticatedRequest>().user;
    if (user && (await this.totp.isEnabled(user.id))) {
      if (await this.totp.sessionProvedIt(user.sessionId)) return true;
      throw new ForbiddenException({ code: 'ADMIN_2FA_REQUIRED', message: 'Sign out and sign in again with your second factor to use the admin pages' });
    }
    throw new ForbiddenException({ code: 'ADMIN_2FA_REQUIRED', message: 'Turn on two-factor authentication in Settings to use the admin pages' });
  }
}
