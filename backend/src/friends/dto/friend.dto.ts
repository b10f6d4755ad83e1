import { Type } from 'class-transformer';
import { IsIn, IsOptional, IsUUID } from 'class-validator';
import { PageQueryDto } from '../../common/page-query.dto.js';
import { UserSummaryDto } from '../../users/dto/user.dto.js';

export class FriendDto extends UserSummaryDto {
  statusMessage: string;
  friendsSince: Date;
}

export class FriendPageDto {
  items: FriendDto[];
  nextCursor: string | null;
}

export class FriendRequestDto {
  id: string;
  from: UserSummaryDto;
  to: UserSummaryDto;
  createdAt: Date;
}

export class FriendRequestPageDto {
  items: FriendRequestDto[];
  nextCursor: string | null;
}

export class SendFriendRequestDto {
  /** The user to befriend. */
  @IsUUID()
  userId: string;
}

export class FriendRequestResultDto {
  /** `pending` when a request was sent; `accepted` when they had already asked you, so you are now friends. */
  status: 'pending' | 'accepted';
  request: FriendRequestDto | null;
  friend: FriendDto | null;
}

export class ListFriendRequestsDto extends PageQueryDto {
  /** `incoming`: requests to you (default); `outgoing`: requests you sent. */
  @IsOptional()
  @Type(() => String)
  @IsIn(['incoming', 'outgoing'])
  direction?: 'incoming' | 'outgoing';
}

export class BlockedUserDto {
  user: UserSummaryDto;
  blockedAt: Date;
}

export class BlockPageDto {
  items: BlockedUserDto[];
  nextCursor: string | null;
}
