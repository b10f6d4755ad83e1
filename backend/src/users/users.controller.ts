import { Body, Controller, Get, Param, Patch, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { RateLimit } from '../common/rate-limit.guard.js';
import { type AuthUser, CurrentUser } from '../common/current-user.decorator.js';
import { ParseIdPipe } from '../common/parse-id.pipe.js';
import { DEFAULT_PAGE_SIZE } from '../common/pagination.js';
import { SearchUsersDto } from './dto/search-users.dto.js';
import { UpdateProfileDto } from './dto/update-profile.dto.js';
import { toUserDto, toUserProfileDto, UserDto, UserProfileDto, UserSummaryPageDto } from './dto/user.dto.js';
import { UsersService } from './users.service.js';

@ApiTags('users')
@ApiBearerAuth()
@ApiErrors({ 401: ['UNAUTHORIZED', 'TOKEN_EXPIRED', 'SESSION_REVOKED'] })
@Controller('users')
export class UsersController {
  constructor(private readonly usersService: UsersService) {}

  /** The signed-in user's own account. */
  @Get('me')
  async getMe(@CurrentUser() auth: AuthUser): Promise<UserDto> {
    return toUserDto(await this.usersService.getById(auth.id));
  }

  /** Changes the display name and/or status message. */
  @Patch('me')
  @ApiErrors({ 400: ['VALIDATION_FAILED'] })
  async updateMe(@CurrentUser() auth: AuthUser, @Body() dto: UpdateProfileDto): Promise<UserDto> {
    return toUserDto(await this.usersService.updateProfile(auth.id, dto));
  }

  /** Finds other users by username or display name, best matches first. */
  @Get()
  @RateLimit('search')
  @ApiErrors({ 400: ['VALIDATION_FAILED', 'INVALID_CURSOR'], 429: ['RATE_LIMITED'] })
  search(@CurrentUser() auth: AuthUser, @Query() query: SearchUsersDto): Promise<UserSummaryPageDto> {
    return this.usersService.search(auth.id, query.search, query.limit ?? DEFAULT_PAGE_SIZE, query.cursor);
  }

  /** Another user's public profile. */
  @Get(':id')
  @ApiErrors({ 400: ['INVALID_ID'], 404: ['USER_NOT_FOUND'] })
  async getProfile(@CurrentUser() auth: AuthUser, @Param('id', ParseIdPipe) id: string): Promise<UserProfileDto> {
    const user = await this.usersService.getVisibleById(auth.id, id);
    // The picture only for those who may see it: a stranger's profile shows initials.
    return { ...toUserProfileDto(user), avatarVersion: await this.usersService.visibleAvatar(auth.id, id, auth.role === 'admin') };
  }
}
