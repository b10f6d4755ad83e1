import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { AdminAccountsService, normaliseUsername } from './admin-accounts.service.js';

/**
 * Creates the first admin from ADMIN_USERNAME/ADMIN_PASSWORD when no user has that name. An existing
 * account is never changed, so the variables can stay set on every instance and every restart.
 */
@Injectable()
export class AdminBootstrapService implements OnApplicationBootstrap {
  private readonly logger = new Logger('AdminBootstrap');

  constructor(
    private readonly config: AppConfig,
    private readonly accounts: AdminAccountsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { ADMIN_USERNAME, ADMIN_PASSWORD } = this.config;
    if (!ADMIN_USERNAME || !ADMIN_PASSWORD) return;
    const username = normaliseUsername(ADMIN_USERNAME);
    // Looked up first so that restarts skip the hashing; create() also copes with a concurrent creator.
    let existing = await this.accounts.findByUsername(username);
    if (!existing) {
      if (await this.accounts.create(username, ADMIN_PASSWORD)) {
        this.logger.log(`Created the admin account "${username}" (ADMIN_USERNAME)`);
        return;
      }
      existing = await this.accounts.findByUsername(username);
    }
    if (existing?.role === 'user') {
      this.logger.warn(
        `ADMIN_USERNAME "${username}" belongs to an existing user who is not an admin; left unchanged ` +
          `(promote them with: npm run admin:create -- --username ${username} --promote)`,
      );
    } else {
      this.logger.log(`The admin account "${username}" already exists; ADMIN_USERNAME/ADMIN_PASSWORD left it unchanged`);
    }
  }
}
