import { Controller, Delete, Get, HttpStatus, Param, Put, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiHeader, ApiOkResponse, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { incomingFile } from '../attachments/incoming-file.js';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { type AuthUser, CurrentUser } from '../common/current-user.decorator.js';
import { ParseIdPipe } from '../common/parse-id.pipe.js';
import { RateLimit } from '../common/rate-limit.guard.js';
import { AppConfig } from '../config/app-config.js';
import { AvatarsService } from './avatars.service.js';
import { AvatarQueryDto } from './dto/avatar-query.dto.js';
import { UserDto } from '../users/dto/user.dto.js';

/** A picture's bytes never change under its version: cached for a year when the URL names it. */
const IMMUTABLE = 'private, max-age=31536000, immutable';

@ApiTags('users')
@ApiBearerAuth()
@ApiErrors({ 401: ['UNAUTHORIZED', 'TOKEN_EXPIRED', 'SESSION_REVOKED'] })
@Controller('users')
export class AvatarsController {
  constructor(
    private readonly avatars: AvatarsService,
    private readonly config: AppConfig,
  ) {}

  /**
   * Sets your profile picture (multipart/form-data, field `file`: JPEG, PNG, WebP, GIF, AVIF or TIFF).
   * The server turns it upright, crops it to a centred square and stores 256 px and 64 px WebP copies
   * without any metadata (EXIF, GPS). Profile pictures are not end-to-end encrypted.
   */
  @Put('me/avatar')
  @RateLimit('upload')
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: { type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary' } } } })
  @ApiOkResponse({ type: UserDto })
  @ApiErrors({
    400: ['FILE_REQUIRED', 'EMPTY_FILE', 'TOO_MANY_PARTS', 'INVALID_MULTIPART'],
    413: ['FILE_TOO_LARGE', 'IMAGE_TOO_LARGE'],
    415: ['MULTIPART_REQUIRED', 'NOT_AN_IMAGE', 'INVALID_IMAGE', 'UNSUPPORTED_IMAGE'],
    429: ['RATE_LIMITED', 'IMAGE_QUEUE_FULL'],
    503: ['SERVER_BUSY', 'STORAGE_UNAVAILABLE'],
  })
  async setAvatar(@CurrentUser() auth: AuthUser, @Req() request: FastifyRequest): Promise<UserDto> {
    return this.avatars.set(auth.id, await incomingFile(request, this.config.maxUploadBytes));
  }

  /** Removes your profile picture; your initials are shown again. */
  @Delete('me/avatar')
  removeAvatar(@CurrentUser() auth: AuthUser): Promise<UserDto> {
    return this.avatars.remove(auth.id);
  }

  /**
   * A user's profile picture (WebP, square), for yourself, your friends, people you share a conversation
   * or a pending friend request with, and admins; never across a block. With `v` set to the current
   * `avatarVersion` the answer may be cached for good; any other gets the current picture, not cached.
   */
  @Get(':id/avatar')
  @ApiProduces('image/webp')
  @ApiHeader({ name: 'If-None-Match', required: false, description: 'An ETag you have; 304 when it still matches' })
  @ApiOkResponse({ description: 'The picture', schema: { type: 'string', format: 'binary' } })
  @ApiResponse({ status: HttpStatus.NOT_MODIFIED, description: 'Not modified: your copy (If-None-Match) is current' })
  @ApiErrors({ 400: ['INVALID_ID', 'VALIDATION_FAILED'], 404: ['AVATAR_NOT_FOUND'] })
  async getAvatar(
    @CurrentUser() auth: AuthUser,
    @Param('id', ParseIdPipe) id: string,
    @Query() query: AvatarQueryDto,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const size = query.size ?? 'large';
    const { avatarId, file } = await this.avatars.find(auth.id, id, auth.role === 'admin', size);
    const etag = `"${avatarId}-${size}"`;
    const headers = {
      etag,
      'cache-control': query.v === avatarId ? IMMUTABLE : 'private, no-cache',
      'content-type': 'image/webp',
      'x-content-type-options': 'nosniff',
      'cross-origin-resource-policy': 'same-origin',
    };
    const header = request.headers['if-none-match'];
    if (typeof header === 'string' && header.split(',').some((tag) => tag.trim() === etag)) {
      file.body.destroy();
      void reply.status(HttpStatus.NOT_MODIFIED).headers(headers).send();
      return;
    }
    void reply.status(HttpStatus.OK).headers({ ...headers, 'content-length': String(file.size) }).send(file.body);
  }
}
