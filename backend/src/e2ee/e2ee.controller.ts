import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiExtraModels, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { type AuthUser, CurrentClaims, CurrentUser, type TokenClaims } from '../common/current-user.decorator.js';
import { SessionCheckedByHandler } from '../common/public.decorator.js';
import { RateLimit } from '../common/rate-limit.guard.js';
import {
  DeviceKeysDto,
  KeysClaimDto,
  KeysClaimResponseDto,
  KeysQueryDto,
  KeysQueryResponseDto,
  KeysUploadDto,
  KeysUploadResponseDto,
  SignedKeyDto,
  WhoamiDto,
} from './dto/keys.dto.js';
import { EmptyResponseDto, SendToDeviceDto, SyncQueryDto, SyncResponseDto } from './dto/to-device.dto.js';
import { E2eeService } from './e2ee.service.js';

/** Matrix-shaped routes for OlmMachine: the calling device is always the caller's session. */
@ApiTags('e2ee')
@ApiBearerAuth()
// Named by $ref inside the key maps (dto/keys.dto.ts), so listed for the document.
@ApiExtraModels(DeviceKeysDto, SignedKeyDto)
@ApiErrors({ 401: ['UNAUTHORIZED', 'TOKEN_EXPIRED', 'SESSION_REVOKED'] })
@Controller('e2ee')
export class E2eeController {
  constructor(private readonly e2eeService: E2eeService) {}

  /** The Matrix ids of the calling device: `@<user uuid>:iris` and the session id. */
  @Get('whoami')
  whoami(@CurrentUser() caller: AuthUser): WhoamiDto {
    return this.e2eeService.whoami(caller);
  }

  /** Publishes this device's keys (once; immutable), one-time keys (at most 100 a call) and fallback key. */
  @Post('keys/upload')
  @HttpCode(HttpStatus.OK)
  @ApiErrors({
    400: ['VALIDATION_FAILED', 'INVALID_KEYS', 'TOO_MANY_ONE_TIME_KEYS'],
    403: ['DEVICE_KEYS_NOT_OWN'],
    409: ['DEVICE_KEYS_IMMUTABLE', 'ONE_TIME_KEYS_FULL'],
  })
  uploadKeys(@CurrentUser() caller: AuthUser, @Body() dto: KeysUploadDto): Promise<KeysUploadResponseDto> {
    return this.e2eeService.uploadKeys(caller, dto);
  }

  /** Device keys of yourself and of people you share a friendship or conversation with; anyone else has none. */
  @Post('keys/query')
  @HttpCode(HttpStatus.OK)
  @ApiErrors({ 400: ['VALIDATION_FAILED', 'INVALID_KEYS', 'TOO_MANY_USERS'] })
  queryKeys(@CurrentUser() caller: AuthUser, @Body() dto: KeysQueryDto): Promise<KeysQueryResponseDto> {
    return this.e2eeService.queryKeys(caller, dto);
  }

  /** Takes one one-time key (or else the fallback key) of each requested device, to start Olm sessions. */
  @RateLimit('send')
  @Post('keys/claim')
  @HttpCode(HttpStatus.OK)
  @ApiErrors({ 400: ['VALIDATION_FAILED', 'INVALID_KEYS', 'TOO_MANY_TARGETS'], 429: ['RATE_LIMITED'] })
  claimKeys(@CurrentUser() caller: AuthUser, @Body() dto: KeysClaimDto): Promise<KeysClaimResponseDto> {
    return this.e2eeService.claimKeys(caller, dto);
  }

  /** Queues a payload for each listed device (`*`: every device of that user); idempotent per device and txnId. */
  @RateLimit('send')
  @Put('sendToDevice/:eventType/:txnId')
  @SessionCheckedByHandler()
  @ApiErrors({
    400: ['VALIDATION_FAILED', 'INVALID_TO_DEVICE', 'TOO_MANY_TARGETS'],
    403: ['RECIPIENT_NOT_ALLOWED'],
    413: ['TO_DEVICE_TOO_LARGE', 'PAYLOAD_TOO_LARGE'],
    429: ['RATE_LIMITED'],
  })
  async sendToDevice(
    @CurrentClaims() caller: TokenClaims,
    @Param('eventType') eventType: string,
    @Param('txnId') txnId: string,
    @Body() dto: SendToDeviceDto,
  ): Promise<EmptyResponseDto> {
    await this.e2eeService.sendToDevice(caller, eventType, txnId, dto);
    return {};
  }

  /** To-device events, device-list changes and key counts for this device; `since` acknowledges the previous page. */
  @Get('sync')
  @SessionCheckedByHandler()
  @ApiErrors({ 400: ['VALIDATION_FAILED', 'INVALID_SINCE'] })
  sync(@CurrentClaims() caller: TokenClaims, @Query() query: SyncQueryDto): Promise<SyncResponseDto> {
    return this.e2eeService.sync(caller, query.since);
  }
}
