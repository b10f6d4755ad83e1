import { Body, Controller, Delete, Get, Headers, HttpCode, HttpStatus, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { type AuthUser, CurrentClaims, CurrentUser, type TokenClaims } from '../common/current-user.decorator.js';
import { DEFAULT_PAGE_SIZE } from '../common/pagination.js';
import { ParseIdPipe } from '../common/parse-id.pipe.js';
import { SessionCheckedByHandler } from '../common/public.decorator.js';
import { RateLimit } from '../common/rate-limit.guard.js';
import { EditMessageDto, HistoryQueryDto, MarkReadDto, MessageDto, MessagePageDto, SendMessageDto } from './dto/message.dto.js';
import { MessagesService } from './messages.service.js';

/** Names the sending socket, which is not echoed the message it sent. */
const SENDER_SOCKET_HEADER = 'X-Socket-Id';

@ApiTags('messages')
@ApiBearerAuth()
@ApiErrors({ 401: ['UNAUTHORIZED', 'TOKEN_EXPIRED', 'SESSION_REVOKED'] })
@Controller()
export class MessagesController {
  constructor(private readonly messagesService: MessagesService) {}

  /** History, oldest first: the newest page, or the page before/after a message `seq`. Expired messages are never included. */
  @Get('conversations/:id/messages')
  @ApiErrors({ 400: ['INVALID_ID', 'VALIDATION_FAILED'], 404: ['CONVERSATION_NOT_FOUND'] })
  history(@CurrentUser() auth: AuthUser, @Param('id', ParseIdPipe) id: string, @Query() query: HistoryQueryDto): Promise<MessagePageDto> {
    return this.messagesService.history(auth.id, id, query, query.limit ?? DEFAULT_PAGE_SIZE);
  }

  /** Sends a message: 201 when created, 200 with the original when the same `clientId` was already sent. */
  @Post('conversations/:id/messages')
  @SessionCheckedByHandler()
  @RateLimit('send')
  @ApiCreatedResponse({ type: MessageDto, description: 'The message was sent' })
  @ApiOkResponse({ type: MessageDto, description: 'A message with this `clientId` was already sent: the original, unchanged' })
  @ApiHeader({
    name: SENDER_SOCKET_HEADER,
    required: false,
    description: "The id of the sender's own connected socket, which then gets no `message.created` for this message (it has the answer); the sender's other sockets still do",
  })
  @ApiErrors({
    400: ['INVALID_ID', 'VALIDATION_FAILED', 'ENCRYPTION_MISMATCH', 'RELATED_MESSAGE_NOT_FOUND'],
    403: ['NOT_FRIENDS', 'BLOCKED', 'PEER_GONE'],
    404: ['CONVERSATION_NOT_FOUND', 'ATTACHMENT_NOT_FOUND'],
    409: ['CLIENT_ID_CONFLICT'],
    413: ['CIPHERTEXT_TOO_LARGE'],
    429: ['RATE_LIMITED'],
  })
  async send(
    @CurrentClaims() caller: TokenClaims,
    @Param('id', ParseIdPipe) id: string,
    @Body() dto: SendMessageDto,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Headers(SENDER_SOCKET_HEADER) senderSocketId?: string,
  ): Promise<MessageDto> {
    const { message, created } = await this.messagesService.send(caller, id, dto, senderSocketId);
    void reply.status(created ? HttpStatus.CREATED : HttpStatus.OK);
    return message;
  }

  /** Edits your own message: a new `body` in a plaintext conversation, a new `ciphertext` in an encrypted one. */
  @Patch('messages/:id')
  @ApiErrors({
    400: ['INVALID_ID', 'VALIDATION_FAILED', 'ENCRYPTION_MISMATCH'],
    403: ['NOT_MESSAGE_SENDER', 'NOT_FRIENDS', 'BLOCKED', 'PEER_GONE'],
    404: ['MESSAGE_NOT_FOUND'],
    409: ['MESSAGE_NOT_EDITABLE'],
    413: ['CIPHERTEXT_TOO_LARGE'],
  })
  edit(@CurrentUser() auth: AuthUser, @Param('id', ParseIdPipe) id: string, @Body() dto: EditMessageDto): Promise<MessageDto> {
    return this.messagesService.edit(auth.id, id, dto);
  }

  /** Deletes your own message for everyone (and the reactions to it); a "message deleted" tombstone stays in the history. */
  @Delete('messages/:id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiErrors({ 400: ['INVALID_ID'], 403: ['NOT_MESSAGE_SENDER'], 404: ['MESSAGE_NOT_FOUND'] })
  delete(@CurrentUser() auth: AuthUser, @Param('id', ParseIdPipe) id: string): Promise<void> {
    return this.messagesService.delete(auth.id, id);
  }

  /** Marks everything up to this message as read (the marker never moves back). */
  @Post('conversations/:id/read')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiErrors({ 400: ['INVALID_ID', 'VALIDATION_FAILED'], 404: ['CONVERSATION_NOT_FOUND', 'MESSAGE_NOT_FOUND'] })
  markRead(@CurrentUser() auth: AuthUser, @Param('id', ParseIdPipe) id: string, @Body() dto: MarkReadDto): Promise<void> {
    return this.messagesService.markRead(auth.id, id, dto.messageId);
  }
}
