import { BadRequestException, ConflictException, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { USERNAME_PATTERN } from '../auth/dto/register.dto.js';
import { PasswordHasher } from '../auth/password-hasher.js';
import { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';

/** A username as registration stores it (trimmed, lower case); refuses one registration would refuse. */
export function normaliseUsername(raw: string): string {
  const username = raw.trim().toLowerCase();
  if (!USERNAME_PATTERN.test(username)) {
    throw new BadRequestException({ code: 'VALIDATION_FAILED', message: 'username must be 3–32 characters of a-z, 0-9, _ and .' });
  }
  return username;
}

/** Creates and promotes administrators (ADMIN_USERNAME at boot, `npm run admin:create`). */
@Injectable()
export class AdminAccountsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
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
      return await this.dataSource.transaction(async (manager) => {
        const user = await this.usersService.create({ username, passwordHash }, manager);
        // Same transaction: the account is never visible as a plain user.
        await manager.update(User, { id: user.id }, { role: 'admin' });
        return manager.findOneByOrFail(User, { id: user.id });
      });
    } catch (error) {
      if (error instanceof ConflictException) return null;
      throw error;
    }
  }

  /** Makes an existing user an admin; the password and sessions stay as they are. */
  async promote(userId: string): Promise<void> {
    await this.dataSource.getRepository(User).update({ id: userId }, { role: 'admin' });
  }
}
