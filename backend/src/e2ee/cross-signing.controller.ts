import { Body, Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { RateLimit } from '../common/rate-limit.guard.js';
import { type AuthUser, CurrentUser } from '../common/current-user.decorator.js';
import { DeviceSigningUploadDto, SIGNATURES_UPLOAD_SCHEMA, SignaturesUploadResponseDto } from './dto/cross-signing.dto.js';
import { EmptyResponseDto } from './dto/to-device.dto.js';
import { CrossSigningService } from './cross-signing.service.js';

/** Matrix-shaped cross-signing routes: the keys and signatures `keys/query` then serves. */
@ApiTags('e2ee')
@ApiBearerAuth()
@ApiErrors({ 401: ['UNAUTHORIZED', 'TOKEN_EXPIRED', 'SESSION_REVOKED'] })
@Controller('e2ee')
export class CrossSigningController {
  constructor(private readonly crossSigningService: CrossSigningService) {}

  /**
   * Publishes your master, self-signing and user-signing keys; replacing keys already published (a new
   * master key resets your identity, and contacts are warned) needs your current password in `auth`.
   */
  @RateLimit('auth')
  @Post('keys/device_signing/upload')
  @HttpCode(HttpStatus.OK)
  @ApiErrors({ 400: ['VALIDATION_FAILED', 'INVALID_CROSS_SIGNING_KEY', 'INVALID_SIGNATURE', 'PASSWORD_REQUIRED'], 403: ['WRONG_PASSWORD'], 429: ['RATE_LIMITED'] })
  async uploadSigningKeys(@CurrentUser() caller: AuthUser, @Body() dto: DeviceSigningUploadDto): Promise<EmptyResponseDto> {
    await this.crossSigningService.uploadSigningKeys(caller, dto);
    return {};
  }

  /** Adds signatures: your self-signing key on your devices, a device on your master key, your user-signing key on a contact's master key. */
  @Post('keys/signatures/upload')
  @HttpCode(HttpStatus.OK)
  @ApiBody({ schema: SIGNATURES_UPLOAD_SCHEMA })
  @ApiErrors({ 400: ['VALIDATION_FAILED', 'INVALID_SIGNATURE', 'TOO_MANY_TARGETS'] })
  uploadSignatures(@CurrentUser() caller: AuthUser, @Body() body: Record<string, unknown>): Promise<SignaturesUploadResponseDto> {
    return this.crossSigningService.uploadSignatures(caller, body);
  }
}
