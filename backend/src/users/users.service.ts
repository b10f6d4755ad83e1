import { Injectable } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { decodeCursor, toPage } from '../common/pagination.js';
import type { Tx } from '../database/transaction.js';
import { RealtimeService } from '../realtime/realtime.service.js';
import { UpdateProfileDto } from './dto/update-profile.dto.js';
import { toUserSummaryDto, UserSummaryPageDto } from './dto/user.dto.js';
import { userNotFound, usernameTaken } from './errors.js';
import type { User } from './user.entity.js';
import { type AdminUserRow, UsersRepository } from './users.repository.js';

export type { AdminUserRow } from './users.repository.js';
import type { Role } from '../common/current-user.decorator.js';

export interface NewUser {
  username: string;
  displayName?: string;
  passwordHash: string;
}

type SearchCursor = { r: number; s: string; u: string };

const UNIQUE_VIOLATION = '23505';

@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly realtime: RealtimeService,
  ) {}

  /** Creates a user; pass the caller's transaction when inside one. */
  async create(input: NewUser, tx?: Tx): Promise<User> {
    try {
      return await this.users.create(
        { username: input.username, displayName: input.displayName ?? input.username, passwordHash: input.passwordHash },
        tx,
      );
    } catch (error) {
      if (error instanceof QueryFailedError && (error.driverError as { code?: string }).code === UNIQUE_VIOLATION) throw usernameTaken();
      throw error;
    }
  }

  findByUsername(username: string): Promise<User | null> {
    return this.users.findOne({ username: username.trim().toLowerCase() });
  }

  async getById(id: string, tx?: Tx): Promise<User> {
    const user = await this.users.findOne({ id }, tx);
    if (!user) throw userNotFound();
    return user;
  }

  /** Another user as the caller may see them: someone who blocked the caller does not exist for them. */
  async getVisibleById(callerId: string, id: string): Promise<User> {
    const user = await this.users.findVisible(callerId, id);
    if (!user) throw userNotFound();
    return user;
  }

  /** Writes only the fields given, so a concurrent password change is never overwritten with a stale copy. */
  async updateProfile(id: string, changes: UpdateProfileDto): Promise<User> {
    const fields = {
      ...(changes.displayName !== undefined ? { displayName: changes.displayName } : {}),
      ...(changes.statusMessage !== undefined ? { statusMessage: changes.statusMessage } : {}),
    };
    if (Object.keys(fields).length === 0) return this.getById(id);
    await this.users.update(id, fields);
    const user = await this.getById(id);
    // An open chat or friends list shows the new name at once.
    this.realtime.userUpdated(await this.users.profileAudience(id), toUserSummaryDto(user));
    return user;
  }

  /** Inside the caller's transaction: the new picture's id, or null to remove it. Answers the previous id. */
  setAvatar(tx: Tx, id: string, avatarId: string | null): Promise<string | null> {
    return this.users.setAvatar(tx, id, avatarId);
  }

  /** The picture `viewerId` may see of `ownerId` (see UsersRepository.visibleAvatar), or null. */
  visibleAvatar(viewerId: string, ownerId: string, admin: boolean): Promise<string | null> {
    return this.users.visibleAvatar(viewerId, ownerId, admin);
  }

  /** Who is told of the user's profile changes (see UsersRepository.profileAudience). */
  profileAudience(userId: string, tx?: Tx): Promise<string[]> {
    return this.users.profileAudience(userId, tx);
  }

  async setRole(id: string, role: Role, tx?: Tx): Promise<void> {
    await this.users.update(id, { role }, tx);
  }

  /** Sets a new password hash inside the caller's transaction; every access token issued before stops working. */
  async setPassword(id: string, passwordHash: string, tx: Tx): Promise<void> {
    await this.users.setPassword(tx, id, passwordHash);
  }

  /**
   * Case-insensitive search, never showing people who blocked the caller: exact username first, then username prefixes, display-name prefixes,
   * then fuzzy (trigram) matches by similarity. Keyset-paginated on (rank, score, username).
   */
  async search(callerId: string, query: string, limit: number, cursor?: string): Promise<UserSummaryPageDto> {
    const after = cursor ? decodeCursor<SearchCursor>(cursor, { r: 'int', s: 'decimal', u: 'text' }) : null;
    const prefix = `${query.replace(/[\\%_]/g, '\\$&')}%`;
    const rows = await this.users.search(callerId, query, prefix, after, limit + 1);
    return toPage(
      rows,
      limit,
      (row) => toUserSummaryDto({ id: row.id, username: row.username, displayName: row.display_name, avatarId: row.avatar_id }),
      (row) => ({ r: row.rank, s: row.score, u: row.username }),
    );
  }

  /** Accounts for the admin list, newest first, with what each holds (see UsersRepository.adminList). */
  adminList(pattern: string | null, after: { t: string; id: string } | null, limit: number): Promise<AdminUserRow[]> {
    return this.users.adminList(pattern, after, limit);
  }

  /** For an erasure, first in its transaction after the conversations: see UsersRepository.lockForErasure. */
  lockForErasure(tx: Tx, userId: string): Promise<{ id: string; role: Role }[]> {
    return this.users.lockForErasure(tx, userId);
  }

  /** Deletes the account; the foreign keys take everything that is only theirs with it. */
  async delete(tx: Tx, userId: string): Promise<void> {
    await this.users.delete(tx, userId);
  }
}
