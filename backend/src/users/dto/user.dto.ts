import type { Role } from '../../common/current-user.decorator.js';
import type { User } from '../user.entity.js';

/** Another user as lists show them. */
export class UserSummaryDto {
  id: string;
  /** Lower-case, unique, 3–32 characters of `a-z 0-9 _ .` */
  username: string;
  displayName: string;
  /**
   * The profile picture's version, null when there is none or you may not see it (strangers, a block
   * either way): show initials then. Fetch it from `GET /api/users/{id}/avatar?v={avatarVersion}`.
   * Profile pictures are not end-to-end encrypted.
   */
  avatarVersion: string | null;
}

/** Another user's profile. */
export class UserProfileDto extends UserSummaryDto {
  statusMessage: string;
}

/** The signed-in user. */
export class UserDto extends UserProfileDto {
  role: Role;
  createdAt: Date;
}

export class UserSummaryPageDto {
  items: UserSummaryDto[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  nextCursor: string | null;
}

/** `avatarId` only when the caller may see the picture (see the `profile_visible` database function). */
export function toUserSummaryDto(user: Pick<User, 'id' | 'username' | 'displayName'> & { avatarId?: string | null }): UserSummaryDto {
  return { id: user.id, username: user.username, displayName: user.displayName, avatarVersion: user.avatarId ?? null };
}

/** The user as they or someone allowed to see their picture sees them. */
export function toUserProfileDto(user: User): UserProfileDto {
  return { ...toUserSummaryDto(user), statusMessage: user.statusMessage };
}

export function toUserDto(user: User): UserDto {
  return { ...toUserProfileDto(user), role: user.role, createdAt: user.createdAt };
}
