import { ConflictException, Injectable } from '@nestjs/common';
import { USERNAME_PATTERN } from '../auth/dto/register.dto.js';
import { PasswordHasher } from '../auth/password-hasher.js';
import { Transactions } from '../database/transaction.js';
import type { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { validationFailed } from '../common/errors.js';

/** A username as registration stores it (trimmed, lower case); refuses one registration would refuse. */
export function normaliseUsername(raw: string): string {
  const username = raw.trim().toLowerCase();
  if (!USERNAME_PATTERN.test(username)) {
    throw validationFailed('username must be 3–32 characters of a-z, 0-9, _ and .');
  }
  return username;
}

/** Creates and promotes administrators (ADMIN_USERNAME at boot, `npm run admin:create`). */
@Injectable()
export class AdminAccountsService {
  constructor(
    private readonly transactions: Transactions,
    private readonly usersService: UsersService,
    private readonly hasher: PasswordHasher,
  ) {}

  findByUsername(username: string): Promise<User | null> {
    return this.usersService.findByUsername(username);
  }

  /** Creates `username` with role admin; null when the name is taken, also by a concurrent creator. */
  async create(username: string, password: string): Promise<User | null> {
    const passwordHash = await this.hasher.hash(password);
    try {
      return await this.transactions.run(async (tx) => {
        const user = await this.usersService.create({ username, passwordHash }, tx);
        // Same transaction: the account is never visible as a plain user.
        await this.usersService.setRole(user.id, 'admin', tx);
        return this.usersService.getById(user.id, tx);
      });
    } catch (error) {
      if (error instanceof ConflictException) return null;
      throw error;
    }
  }

  /** Makes an existing user an admin; the password and sessions stay as they are. */
  async promote(userId: string): Promise<void> {
    await this.usersService.setRole(userId, 'admin');
  }
}
