import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional, IsString, Length } from 'class-validator';
import { PageQueryDto } from '../../common/page-query.dto.js';
import { UserDto } from '../../users/dto/user.dto.js';

export class AdminUsersQueryDto extends PageQueryDto {
  /** Part of a username or display name (case-insensitive); leave out for everyone. */
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @Length(1, 64)
  search?: string;
}

export class EraseUserQueryDto {
  /** `true`: only count what would be deleted, and delete nothing. */
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  dryRun?: boolean;
}

/** A user as admins see them: the account and how much it holds. */
export class AdminUserDto extends UserDto {
  /** Messages they sent that still exist. */
  messageCount: number;
  /** Bytes of the files they uploaded. */
  attachmentBytes: number;
  /** Their latest sign-in or token refresh; null when they have no session left. */
  lastSeenAt: Date | null;
}

export class AdminUserPageDto {
  /** Newest accounts first. */
  items: AdminUserDto[];
  nextCursor: string | null;
}
