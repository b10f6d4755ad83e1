import { Body, Controller, Delete, Get, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { PasswordHasher } from '../auth/password-hasher.js';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { type AuthUser, CurrentUser } from '../common/current-user.decorator.js';
import { RateLimit } from '../common/rate-limit.guard.js';
import { UsersService } from '../users/users.service.js';
import { EraseMeDto, ErasureResultDto } from './dto/erasure.dto.js';
import { ErasureService } from './erasure.service.js';
import { ExportService } from './export.service.js';
import { wrongPassword } from '../auth/errors.js';

@ApiTags('users')
@ApiBearerAuth()
@ApiErrors({ 401: ['UNAUTHORIZED', 'TOKEN_EXPIRED', 'SESSION_REVOKED'] })
@Controller('users/me')
export class PrivacyController {
  constructor(
    private readonly erasureService: ErasureService,
    private readonly exportService: ExportService,
    private readonly usersService: UsersService,
    private readonly hasher: PasswordHasher,
  ) {}

  /**
   * Erases your account for real: your profile, sessions, friendships, requests, blocks, the messages
   * you sent and your files. Your peers keep their own messages and see you as a deleted user. This
   * cannot be undone. The answer says how much was removed.
   */
  @RateLimit('auth')
  @Delete()
  @ApiErrors({ 400: ['VALIDATION_FAILED'], 403: ['WRONG_PASSWORD'], 409: ['LAST_ADMIN'], 429: ['RATE_LIMITED'] })
  async eraseMe(@CurrentUser() auth: AuthUser, @Body() dto: EraseMeDto): Promise<ErasureResultDto> {
    const user = await this.usersService.getById(auth.id);
    if (!(await this.hasher.verify(user.passwordHash, dto.password))) {
      throw wrongPassword('The password is wrong');
    }
    return this.erasureService.erase(auth.id, { kind: 'self' });
  }

  /**
   * Downloads everything the server holds about you (GDPR Art. 15 and 20) as a zip: your profile and
   * sessions, friends, friend requests and blocks, each conversation with every message you can still
   * see (both sides, oldest first), and the files you uploaded. README.txt inside describes the files.
   * Once per 10 minutes.
   */
  @RateLimit('export')
  @Get('export')
  @ApiProduces('application/zip')
  @ApiOkResponse({ description: 'The zip, streamed as it is made', schema: { type: 'string', format: 'binary' } })
  @ApiErrors({ 429: ['RATE_LIMITED'] })
  async exportMe(@CurrentUser() auth: AuthUser, @Res() reply: FastifyReply): Promise<void> {
    const { fileName, stream } = await this.exportService.export(auth.id, auth.sessionId);
    void reply
      .headers({
        'content-type': 'application/zip',
        'content-disposition': `attachment; filename="${fileName}"`,
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
      })
      .send(stream);
  }
}
