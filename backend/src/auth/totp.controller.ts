import { BadRequestException, Body, Controller, Delete, Get, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { type AuthUser, CurrentUser } from '../common/current-user.decorator.js';
import { RateLimit } from '../common/rate-limit.guard.js';
import { AppConfig } from '../config/app-config.js';
import { DisableTotpDto, EnableTotpDto, type LoginMfaDto, RecoveryCodesDto, TotpSetupDto, TwoFactorStatusDto } from './dto/totp.dto.js';
import { TotpService } from './totp.service.js';

const SIGNED_IN = ['UNAUTHORIZED', 'TOKEN_EXPIRED', 'SESSION_REVOKED'];

/** The one code of a second step: `code` or `recoveryCode`, exactly one. */
export function secondFactorOf(dto: LoginMfaDto): string {
  const given = [dto.code, dto.recoveryCode].filter((value) => value !== undefined);
  if (given.length !== 1) throw new BadRequestException({ code: 'VALIDATION_FAILED', message: 'Send either code or recoveryCode' });
  return given[0]!;
}

@ApiTags('auth')
@ApiBearerAuth()
@Controller('auth/2fa')
export class TotpController {
  constructor(
    private readonly totpService: TotpService,
    private readonly config: AppConfig,
  ) {}

  /** Whether two-factor authentication is on for the caller, and whether this server requires it of them. */
  @Get()
  @ApiErrors({ 401: SIGNED_IN })
  async status(@CurrentUser() caller: AuthUser): Promise<TwoFactorStatusDto> {
    const { enabled, recoveryCodesLeft } = await this.totpService.status(caller.id);
    return { totpEnabled: enabled, recoveryCodesLeft, required: caller.role === 'admin' && this.config.REQUIRE_ADMIN_2FA };
  }

  /** Starts (or restarts) the setup: a new secret to scan as a QR code or type in. Nothing changes at sign-in until it is confirmed. */
  @Post('totp/setup')
  @HttpCode(HttpStatus.OK)
  @ApiErrors({ 401: SIGNED_IN, 409: ['TOTP_ALREADY_ENABLED'] })
  setup(@CurrentUser() caller: AuthUser): Promise<TotpSetupDto> {
    return this.totpService.setup(caller);
  }

  /**
   * Confirms the setup with the password and a first code and turns two-factor authentication on;
   * answers the ten recovery codes, this once. This session then counts as signed in with two factors.
   */
  @Post('totp/enable')
  @HttpCode(HttpStatus.OK)
  @RateLimit('auth')
  @ApiErrors({
    400: ['VALIDATION_FAILED', 'INVALID_TOTP_CODE'],
    401: SIGNED_IN,
    403: ['WRONG_PASSWORD'],
    409: ['TOTP_ALREADY_ENABLED', 'TOTP_SETUP_REQUIRED', 'TOTP_SETUP_CHANGED'],
    429: ['RATE_LIMITED'],
  })
  enable(@CurrentUser() caller: AuthUser, @Body() dto: EnableTotpDto): Promise<RecoveryCodesDto> {
    return this.totpService.enable(caller, dto);
  }

  /** Turns two-factor authentication off: needs the password and a current code (or a recovery code). */
  @Delete('totp')
  @HttpCode(HttpStatus.NO_CONTENT)
  @RateLimit('auth')
  @ApiErrors({
    400: ['VALIDATION_FAILED', 'INVALID_TOTP_CODE', 'TOTP_CODE_REUSED', 'RECOVERY_CODE_INVALID', 'RECOVERY_CODE_USED'],
    401: SIGNED_IN,
    403: ['WRONG_PASSWORD'],
    409: ['TOTP_NOT_ENABLED'],
    429: ['RATE_LIMITED'],
  })
  disable(@CurrentUser() caller: AuthUser, @Body() dto: DisableTotpDto): Promise<void> {
    return this.totpService.disable(caller, dto);
  }
}
