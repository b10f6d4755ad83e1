import { Body, Controller, Get, HttpStatus, Param, Patch, Post, Put, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { type AuthUser, CurrentUser } from '../common/current-user.decorator.js';
import { PageQueryDto } from '../common/page-query.dto.js';
import { DEFAULT_PAGE_SIZE } from '../common/pagination.js';
import { ParseIdPipe } from '../common/parse-id.pipe.js';
import { ConversationsService } from './conversations.service.js';
import { ConversationNoticePageDto } from './dto/conversation-notice.dto.js';
import { ConversationDto, ConversationPageDto, CreateConversationDto, MuteConversationDto, UpdateConversationDto } from './dto/conversation.dto.js';

@ApiTags('conversations')
@ApiBearerAuth()
@ApiErrors({ 401: ['UNAUTHORIZED', 'TOKEN_EXPIRED', 'SESSION_REVOKED'] })
@Controller('conversations')
export class ConversationsController {
  constructor(private readonly conversationsService: ConversationsService) {}

  /** Opens the conversation with a friend: 201 when it was created, 200 when it already existed. */
  @Post()
  @ApiCreatedResponse({ type: ConversationDto, description: 'The conversation was created' })
  @ApiOkResponse({ type: ConversationDto, description: 'The conversation already existed' })
  @ApiErrors({
    400: ['VALIDATION_FAILED', 'CANNOT_CHAT_WITH_SELF'],
    403: ['NOT_FRIENDS', 'BLOCKED'],
    404: ['USER_NOT_FOUND'],
  })
  async open(
    @CurrentUser() auth: AuthUser,
    @Body() dto: CreateConversationDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ConversationDto> {
    const { conversation, created } = await this.conversationsService.getOrCreate(auth.id, dto.userId, dto);
    void reply.status(created ? HttpStatus.CREATED : HttpStatus.OK);
    return conversation;
  }

  /** Your conversations, most recent activity first, with the last message and unread count. */
  @Get()
  @ApiErrors({ 400: ['VALIDATION_FAILED', 'INVALID_CURSOR'] })
  list(@CurrentUser() auth: AuthUser, @Query() query: PageQueryDto): Promise<ConversationPageDto> {
    return this.conversationsService.list(auth.id, query.limit ?? DEFAULT_PAGE_SIZE, query.cursor);
  }

  /** One of your conversations, with the last message and unread count. */
  @Get(':id')
  @ApiErrors({ 400: ['INVALID_ID'], 404: ['CONVERSATION_NOT_FOUND'] })
  get(@CurrentUser() auth: AuthUser, @Param('id', ParseIdPipe) id: string): Promise<ConversationDto> {
    return this.conversationsService.getOne(auth.id, id);
  }

  /** Sets the disappearing-message timer for messages sent from now on, or turns end-to-end encryption on (for good). */
  @Patch(':id')
  @ApiErrors({ 400: ['INVALID_ID', 'VALIDATION_FAILED', 'ENCRYPTION_IRREVERSIBLE'], 403: ['BLOCKED'], 404: ['CONVERSATION_NOT_FOUND'] })
  update(@CurrentUser() auth: AuthUser, @Param('id', ParseIdPipe) id: string, @Body() dto: UpdateConversationDto): Promise<ConversationDto> {
    return this.conversationsService.update(auth.id, id, dto);
  }

  /**
   * The changes of the conversation's settings (timer, encryption) that the history shows among the
   * messages, newest first; place each after the message whose `seq` is its `afterSeq`.
   */
  @Get(':id/notices')
  @ApiErrors({ 400: ['INVALID_ID', 'VALIDATION_FAILED', 'INVALID_CURSOR'], 404: ['CONVERSATION_NOT_FOUND'] })
  notices(@CurrentUser() auth: AuthUser, @Param('id', ParseIdPipe) id: string, @Query() query: PageQueryDto): Promise<ConversationNoticePageDto> {
    return this.conversationsService.listNotices(auth.id, id, query.limit ?? DEFAULT_PAGE_SIZE, query.cursor);
  }

  /** Mutes or unmutes the conversation for you (not for your peer): no push, sound or desktop notification; unread still counts. */
  @Put(':id/mute')
  @ApiErrors({ 400: ['INVALID_ID', 'VALIDATION_FAILED'], 404: ['CONVERSATION_NOT_FOUND'] })
  mute(@CurrentUser() auth: AuthUser, @Param('id', ParseIdPipe) id: string, @Body() dto: MuteConversationDto): Promise<ConversationDto> {
    return this.conversationsService.setMuted(auth.id, id, dto.muted);
  }
}
