import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, QueryFailedError, Repository } from 'typeorm';
import { decodeCursor, toPage } from '../common/pagination.js';
import { UpdateProfileDto } from './dto/update-profile.dto.js';
import { toUserSummaryDto, UserSummaryPageDto } from './dto/user.dto.js';
import { User } from './user.entity.js';

export interface NewUser {
  username: string;
  displayName?: string;
  passwordHash: string;
}

interface SearchRow {
  id: string;
  username: string;
  display_name: string;
  rank: number;
  score: string;
}

type SearchCursor = { r: number; s: string; u: string };

const UNIQUE_VIOLATION = '23505';

@Injectable()
export class UsersService {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  /** Creates a user; pass the caller's transaction manager when inside one. */
  async create(input: NewUser, manager: EntityManager = this.users.manager): Promise<User> {
    const user = manager.create(User, {
      username: input.username,
      displayName: input.displayName ?? input.username,
      passwordHash: input.passwordHash,
    });
    try {
      return await manager.save(user);
    } catch (error) {
      if (error instanceof QueryFailedError && (error.driverError as { code?: string }).code === UNIQUE_VIOLATION) {
        throw new ConflictException({ code: 'USERNAME_TAKEN', message: 'That username is already taken' });
      }
      throw error;
    }
  }

  findByUsername(username: string): Promise<User | null> {
    return this.users.findOneBy({ username: username.trim().toLowerCase() });
  }

  async getById(id: string): Promise<User> {
    const user = await this.users.findOneBy({ id });
    if (!user) throw new NotFoundException({ code: 'USER_NOT_FOUND', message: 'User not found' });
    return user;
  }

  /** Another user as the caller may see them: someone who blocked the caller does not exist for them. */
  async getVisibleById(callerId: string, id: string): Promise<User> {
    const user = await this.users
      .createQueryBuilder('u')
      .where('u.id = :id', { id })
      // The blocks table belongs to the friends module; reading it here keeps this one query.
      .andWhere('NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = u.id AND b.blocked_id = :callerId)', { callerId })
      .getOne();
    if (!user) throw new NotFoundException({ code: 'USER_NOT_FOUND', message: 'User not found' });
    return user;
  }

  /** Writes only the fields given, so a concurrent password change is never overwritten with a stale copy. */
  async updateProfile(id: string, changes: UpdateProfileDto): Promise<User> {
    const fields = {
      ...(changes.displayName !== undefined ? { displayName: changes.displayName } : {}),
      ...(changes.statusMessage !== undefined ? { statusMessage: changes.statusMessage } : {}),
    };
    if (Object.keys(fields).length > 0) await this.users.update({ id }, fields);
    return this.getById(id);
  }

  async setPassword(id: string, passwordHash: string, manager: EntityManager): Promise<void> {
    await manager.update(User, { id }, { passwordHash, tokenVersion: () => '"token_version" + 1' });
  }

  /**
   * Case-insensitive search, never showing people who blocked the caller: exact username first, then username prefixes, display-name prefixes,
   * then fuzzy (trigram) matches by similarity. Keyset-paginated on (rank, score, username).
   */
  async search(callerId: string, query: string, limit: number, cursor?: string): Promise<UserSummaryPageDto> {
    const after = cursor ? decodeCursor<SearchCursor>(cursor, { r: 'int', s: 'decimal', u: 'text' }) : null;
    const prefix = `${query.replace(/[\\%_]/g, '\\$&')}%`;
    const rows: SearchRow[] = await this.users.query(
      `SELECT id, username, display_name, rank, score FROM (
         SELECT u.id, u.username::text AS username, u.display_name,
           CASE WHEN u.username::text = $2 THEN 0
                WHEN u.username::text LIKE $3 THEN 1
                WHEN lower(u.display_name) LIKE $3 THEN 2
                ELSE 3 END AS rank,
           round(greatest(similarity(u.username::text, $2), similarity(lower(u.display_name), $2))::numeric, 4) AS score
         FROM users u
         WHERE u.id <> $1
           AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = u.id AND b.blocked_id = $1)
           AND (u.username::text LIKE $3 OR lower(u.display_name) LIKE $3
                OR u.username::text % $2 OR lower(u.display_name) % $2)
       ) matches
       WHERE $4::int IS NULL
          OR rank > $4 OR (rank = $4 AND (score < $5::numeric OR (score = $5::numeric AND username > $6)))
       ORDER BY rank, score DESC, username
       LIMIT $7`,
      [callerId, query, prefix, after?.r ?? null, after?.s ?? null, after?.u ?? null, limit + 1],
    );
    return toPage(
      rows,
      limit,
      (row) => toUserSummaryDto({ id: row.id, username: row.username, displayName: row.display_name }),
      (row) => ({ r: row.rank, s: row.score, u: row.username }),
    );
  }
}
