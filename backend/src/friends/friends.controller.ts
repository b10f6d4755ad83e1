import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { RateLimit } from '../common/rate-limit.guard.js';
import { type AuthUser, CurrentUser } from '../common/current-user.decorator.js';
import { PageQueryDto } from '../common/page-query.dto.js';
import { DEFAULT_PAGE_SIZE } from '../common/pagination.js';
import { ParseIdPipe } from '../common/parse-id.pipe.js';
import {
  FriendDto,
  FriendPageDto,
  FriendRequestPageDto,
  FriendRequestResultDto,
  ListFriendRequestsDto,
  SendFriendRequestDto,
} from './dto/friend.dto.js';
import { FriendsService } from './friends.service.js';

@ApiTags('friends')
@ApiBearerAuth()
@ApiErrors({ 401: ['UNAUTHORIZED', 'TOKEN_EXPIRED', 'SESSION_REVOKED'] })
@Controller('friends')
export class FriendsController {
  constructor(private readonly friendsService: FriendsService) {}

  /** Your friends, by username. */
  @Get()
  @ApiErrors({ 400: ['VALIDATION_FAILED', 'INVALID_CURSOR'] })
  list(@CurrentUser() auth: AuthUser, @Query() query: PageQueryDto): Promise<FriendPageDto> {
    return this.friendsService.listFriends(auth.id, query.limit ?? DEFAULT_PAGE_SIZE, query.cursor);
  }

  /** Ends a friendship (and any pending requests between you). */
  @Delete(':userId')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiErrors({ 400: ['INVALID_ID'], 404: ['NOT_FRIENDS'] })
  unfriend(@CurrentUser() auth: AuthUser, @Param('userId', ParseIdPipe) userId: string): Promise<void> {
    return this.friendsService.unfriend(auth.id, userId);
  }

  /** Pending requests to you (`incoming`) or from you (`outgoing`), newest first. */
  @Get('requests')
  @ApiErrors({ 400: ['VALIDATION_FAILED', 'INVALID_CURSOR'] })
  listRequests(@CurrentUser() auth: AuthUser, @Query() query: ListFriendRequestsDto): Promise<FriendRequestPageDto> {
    return this.friendsService.listRequests(auth.id, query.direction ?? 'incoming', query.limit ?? DEFAULT_PAGE_SIZE, query.cursor);
  }

  /**
   * Asks a user to be friends: 201 with the pending request, or 200 with the new friend when they
   * had already asked you.
   */
  @Post('requests')
  @ApiCreatedResponse({ type: FriendRequestResultDto, description: 'The request is pending (`status: pending`, with `request`)' })
  @ApiOkResponse({ type: FriendRequestResultDto, description: 'They had already asked you: you are friends now (`status: accepted`, with `friend`)' })
  @RateLimit('friendRequest')
  @ApiErrors({
    400: ['VALIDATION_FAILED', 'CANNOT_FRIEND_SELF'],
    403: ['USER_BLOCKED'],
    404: ['USER_NOT_FOUND'],
    409: ['ALREADY_FRIENDS', 'REQUEST_ALREADY_SENT'],
    429: ['RATE_LIMITED'],
  })
  async send(
    @CurrentUser() auth: AuthUser,
    @Body() dto: SendFriendRequestDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<FriendRequestResultDto> {
    const result = await this.friendsService.sendRequest(auth.id, dto.userId);
    void reply.status(result.status === 'pending' ? HttpStatus.CREATED : HttpStatus.OK);
    return result;
  }

  /** Accepts a request sent to you. */
  @Post('requests/:id/accept')
  @HttpCode(HttpStatus.OK)
  @ApiErrors({ 400: ['INVALID_ID'], 404: ['FRIEND_REQUEST_NOT_FOUND'] })
  accept(@CurrentUser() auth: AuthUser, @Param('id', ParseIdPipe) id: string): Promise<FriendDto> {
    return this.friendsService.accept(auth.id, id);
  }

  /** Declines a request sent to you; the sender is not told. */
  @Post('requests/:id/decline')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiErrors({ 400: ['INVALID_ID'], 404: ['FRIEND_REQUEST_NOT_FOUND'] })
  decline(@CurrentUser() auth: AuthUser, @Param('id', ParseIdPipe) id: string): Promise<void> {
    return this.friendsService.decline(auth.id, id);
  }

  /** Cancels a request you sent. */
  @Delete('requests/:id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiErrors({ 400: ['INVALID_ID'], 404: ['FRIEND_REQUEST_NOT_FOUND'] })
  cancel(@CurrentUser() auth: AuthUser, @Param('id', ParseIdPipe) id: string): Promise<void> {
    return this.friendsService.cancel(auth.id, id);
  }
}
