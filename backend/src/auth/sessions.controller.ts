import { Controller, Delete, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { type AuthUser, CurrentUser } from '../common/current-user.decorator.js';
import { ParseIdPipe } from '../common/parse-id.pipe.js';
import { RevokedSessionsDto, SessionListDto } from './dto/session.dto.js';
import { SessionsService } from './sessions.service.js';

const SIGNED_IN: Record<number, string[]> = { 401: ['UNAUTHORIZED', 'TOKEN_EXPIRED', 'SESSION_REVOKED'] };

@ApiTags('sessions')
@ApiBearerAuth()
@Controller('sessions')
export class SessionsController {
  constructor(private readonly sessionsService: SessionsService) {}

  /** Where the caller is signed in: every open session (device), the calling one marked `current`. */
  @Get()
  @ApiErrors({ ...SIGNED_IN })
  list(@CurrentUser() caller: AuthUser): Promise<SessionListDto> {
    return this.sessionsService.list(caller);
  }

  /** Ends every other session of the caller: their tokens, sockets and encryption devices stop at once. */
  @Post('revoke-others')
  @HttpCode(HttpStatus.OK)
  @ApiErrors({ ...SIGNED_IN })
  revokeOthers(@CurrentUser() caller: AuthUser): Promise<RevokedSessionsDto> {
    return this.sessionsService.revokeOthers(caller);
  }

  /** Ends one session of the caller: its tokens, sockets and encryption device stop at once. */
  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiErrors({ 400: ['INVALID_ID'], ...SIGNED_IN, 404: ['SESSION_NOT_FOUND'] })
  revoke(@CurrentUser() caller: AuthUser, @Param('id', ParseIdPipe) id: string): Promise<void> {
    return this.sessionsService.revoke(caller, id);
  }
}
