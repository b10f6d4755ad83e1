import '@fastify/multipart';
import { Controller, Get, HttpStatus, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { type AuthUser, CurrentUser } from '../common/current-user.decorator.js';
import { ParseIdPipe } from '../common/parse-id.pipe.js';
import { RateLimit } from '../common/rate-limit.guard.js';
import { AppConfig } from '../config/app-config.js';
import { AttachmentsService } from './attachments.service.js';
import { attachmentNotFound } from './errors.js';
import { incomingFile } from './incoming-file.js';
import type { IncomingFile } from './upload.service.js';
import { AttachmentConfigDto, AttachmentDto } from './dto/attachment.dto.js';
import { isInlineType } from './media.js';
import { contentDisposition, parseRange } from './range.js';
import { StorageNotFoundError } from './storage/storage.js';

/** Headers that make a download safe to open whatever it contains. */
const DOWNLOAD_HEADERS = {
  'x-content-type-options': 'nosniff',
  // Even if a browser were talked into rendering it as a page, nothing in it may run or load.
  'content-security-policy': "default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'; sandbox",
  'cross-origin-resource-policy': 'same-origin',
  'accept-ranges': 'bytes',
};

@ApiTags('attachments')
@ApiBearerAuth()
@ApiErrors({ 401: ['UNAUTHORIZED', 'TOKEN_EXPIRED', 'SESSION_REVOKED'] })
@Controller('attachments')
export class AttachmentsController {
  constructor(
    private readonly attachmentsService: AttachmentsService,
    private readonly config: AppConfig,
  ) {}

  /** The limits uploads must respect, so a client can check a file before sending it. */
  @Get('config')
  getConfig(): AttachmentConfigDto {
    return this.attachmentsService.getConfig();
  }

  /**
   * Uploads one file (multipart/form-data, field `file`). The type is decided from the contents;
   * images lose their metadata (EXIF, GPS) and get a thumbnail. Send the returned id in a message's
   * `attachmentIds` within 24 hours, or the upload is deleted.
   */
  @RateLimit('upload')
  @Post()
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: { type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary' } } } })
  @ApiCreatedResponse({ type: AttachmentDto })
  @ApiErrors({
    400: ['FILE_REQUIRED', 'EMPTY_FILE', 'TOO_MANY_PARTS', 'INVALID_MULTIPART'],
    413: ['FILE_TOO_LARGE', 'IMAGE_TOO_LARGE'],
    415: ['MULTIPART_REQUIRED', 'NOT_AN_IMAGE', 'INVALID_IMAGE', 'UNSUPPORTED_IMAGE', 'INVALID_VIDEO'],
    429: ['RATE_LIMITED', 'IMAGE_QUEUE_FULL'],
    503: ['SERVER_BUSY', 'STORAGE_UNAVAILABLE'],
  })
  upload(@CurrentUser() auth: AuthUser, @Req() request: FastifyRequest): Promise<AttachmentDto> {
    return this.receive(request, (file) => this.attachmentsService.upload(auth.id, file));
  }

  /**
   * Uploads an encrypted blob for an encrypted conversation (multipart/form-data, field `file`): stored
   * byte for byte, with kind `encrypted`, type `application/octet-stream` and a neutral name; the server
   * neither reads nor processes it (the client strips metadata, makes the thumbnail and encrypts first).
   * Same size limit, rate limit and 24-hour rule as any upload.
   */
  @RateLimit('upload')
  @Post('encrypted')
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: { type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary' } } } })
  @ApiCreatedResponse({ type: AttachmentDto })
  @ApiErrors({
    400: ['FILE_REQUIRED', 'EMPTY_FILE', 'TOO_MANY_PARTS', 'INVALID_MULTIPART'],
    413: ['FILE_TOO_LARGE'],
    415: ['MULTIPART_REQUIRED'],
    429: ['RATE_LIMITED'],
    503: ['STORAGE_UNAVAILABLE'],
  })
  uploadEncrypted(@CurrentUser() auth: AuthUser, @Req() request: FastifyRequest): Promise<AttachmentDto> {
    return this.receive(request, (file) => this.attachmentsService.uploadEncrypted(auth.id, file));
  }

  private async receive(request: FastifyRequest, store: (file: IncomingFile) => Promise<AttachmentDto>): Promise<AttachmentDto> {
    return store(await incomingFile(request, this.config.maxUploadBytes));
  }

  /**
   * Downloads an attachment, for members of its conversation (and its uploader before it is sent).
   * Supports `Range` (206) so audio and video can seek, and `If-None-Match` (304).
   */
  @Get(':id')
  // Any type: the one detected at upload (AttachmentDto.mimeType), application/octet-stream for encrypted files.
  @ApiProduces('*/*')
  @ApiHeader({ name: 'Range', required: false, description: 'One byte range, e.g. `bytes=0-99`' })
  @ApiHeader({ name: 'If-Range', required: false, description: 'The ETag the range is for; another one gets the whole file' })
  @ApiHeader({ name: 'If-None-Match', required: false, description: 'An ETag you have; 304 when it still matches' })
  @ApiOkResponse({ description: 'The whole file, as the type in its `mimeType`', schema: { type: 'string', format: 'binary' } })
  @ApiResponse({ status: HttpStatus.NOT_MODIFIED, description: 'Not modified: your copy (If-None-Match) is current' })
  @ApiResponse({ status: HttpStatus.PARTIAL_CONTENT, description: 'The requested range', schema: { type: 'string', format: 'binary' } })
  @ApiErrors({ 400: ['INVALID_ID'], 404: ['ATTACHMENT_NOT_FOUND'], 416: ['RANGE_NOT_SATISFIABLE'] })
  download(@CurrentUser() auth: AuthUser, @Param('id', ParseIdPipe) id: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.send(auth, id, 'original', request, reply);
  }

  /** The WebP thumbnail (at most 320×320) of an image attachment. */
  @Get(':id/thumbnail')
  @ApiProduces('image/webp')
  @ApiHeader({ name: 'If-None-Match', required: false, description: 'An ETag you have; 304 when it still matches' })
  @ApiOkResponse({ description: 'The thumbnail', schema: { type: 'string', format: 'binary' } })
  @ApiResponse({ status: HttpStatus.NOT_MODIFIED, description: 'Not modified: your copy (If-None-Match) is current' })
  @ApiErrors({ 400: ['INVALID_ID'], 404: ['ATTACHMENT_NOT_FOUND'] })
  thumbnail(@CurrentUser() auth: AuthUser, @Param('id', ParseIdPipe) id: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.send(auth, id, 'thumbnail', request, reply);
  }

  private async send(auth: AuthUser, id: string, variant: 'original' | 'thumbnail', request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const { attachment, timed } = await this.attachmentsService.findDownloadable(auth.id, id);
    const key = variant === 'original' ? attachment.storageKey : attachment.thumbnailKey;
    if (!key) throw attachmentNotFound();
    const mimeType = variant === 'original' ? attachment.mimeType : 'image/webp';
    const size = variant === 'original' ? attachment.size : undefined;
    // Content never changes under an id, so the id is a strong validator.
    const etag = `"${attachment.id}${variant === 'thumbnail' ? '-t' : ''}"`;
    const headers = {
      ...DOWNLOAD_HEADERS,
      etag,
      // Private always; a message with a timer must leave no copy behind in any cache.
      'cache-control': timed ? 'private, no-store' : 'private, no-cache',
      'content-type': mimeType,
      'content-disposition': contentDisposition(isInlineType(mimeType) ? 'inline' : 'attachment', variant === 'original' ? attachment.name : 'thumbnail.webp'),
    };
    if (!timed && ifNoneMatch(request, etag)) {
      void reply.status(HttpStatus.NOT_MODIFIED).headers(headers).send();
      return;
    }
    const ifRange = request.headers['if-range'];
    const range = size !== undefined && (!ifRange || ifRange === etag) ? parseRange(request.headers.range, size) : null;
    if (range === 'unsatisfiable') {
      void reply
        .status(HttpStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
        .headers({ ...headers, 'content-type': 'application/json', 'content-disposition': 'inline', 'content-range': `bytes */${size}` })
        .send({ statusCode: 416, error: 'Range Not Satisfiable', message: 'The range is outside the file', code: 'RANGE_NOT_SATISFIABLE' });
      return;
    }
    let stored;
    try {
      stored = await this.attachmentsService.read(key, range ?? undefined);
    } catch (error) {
      // The row outlived its file (a removal raced this request): nothing to serve.
      if (error instanceof StorageNotFoundError) throw attachmentNotFound();
      throw error;
    }
    if (range) {
      void reply
        .status(HttpStatus.PARTIAL_CONTENT)
        .headers({ ...headers, 'content-range': `bytes ${range.start}-${range.end}/${stored.size}`, 'content-length': String(range.end - range.start + 1) })
        .send(stored.body);
    } else {
      void reply.status(HttpStatus.OK).headers({ ...headers, 'content-length': String(stored.size) }).send(stored.body);
    }
  }
}

function ifNoneMatch(request: FastifyRequest, etag: string): boolean {
  const header = request.headers['if-none-match'];
  return typeof header === 'string' && header.split(',').some((tag) => tag.trim() === etag || tag.trim() === `W/${etag}`);
}
