import { Controller, Delete, Get, HttpCode, HttpStatus, Param, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { type AuthUser, CurrentUser } from '../common/current-user.decorator.js';
import { PageQueryDto } from '../common/page-query.dto.js';
import { DEFAULT_PAGE_SIZE } from '../common/pagination.js';
import { ParseIdPipe } from '../common/parse-id.pipe.js';
import { BlocksService } from './blocks.service.js';
import { BlockPageDto } from './dto/friend.dto.js';

@ApiTags('friends')
@ApiBearerAuth()
@ApiErrors({ 401: ['UNAUTHORIZED', 'TOKEN_EXPIRED', 'SESSION_REVOKED'] })
@Controller('blocks')
export class BlocksController {
  constructor(private readonly blocksService: BlocksService) {}

  /** Users you blocked, most recent first. */
  @Get()
  @ApiErrors({ 400: ['VALIDATION_FAILED', 'INVALID_CURSOR'] })
  list(@CurrentUser() auth: AuthUser, @Query() query: PageQueryDto): Promise<BlockPageDto> {
    return this.blocksService.list(auth.id, query.limit ?? DEFAULT_PAGE_SIZE, query.cursor);
  }

  /**
   * Blocks a user: they can no longer find you, befriend you or message you, your friendship and
   * pending requests end, and your conversation becomes read-only for both.
   */
  @Put(':userId')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiErrors({ 400: ['INVALID_ID', 'CANNOT_BLOCK_SELF'], 404: ['USER_NOT_FOUND'] })
  block(@CurrentUser() auth: AuthUser, @Param('userId', ParseIdPipe) userId: string): Promise<void> {
    return this.blocksService.block(auth.id, userId);
  }

  /** Unblocks a user. Friendship is not restored. */
  @Delete(':userId')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiErrors({ 400: ['INVALID_ID'] })
  unblock(@CurrentUser() auth: AuthUser, @Param('userId', ParseIdPipe) userId: string): Promise<void> {
    return this.blocksService.unblock(auth.id, userId);
  }
}
