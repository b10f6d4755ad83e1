import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Patch, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiErrors } from '../../common/api-errors.decorator.js';
import { type AuthUser, CurrentUser } from '../../common/current-user.decorator.js';
import { ParseIdPipe } from '../../common/parse-id.pipe.js';
import { Public } from '../../common/public.decorator.js';
import { RateLimit } from '../../common/rate-limit.guard.js';
import { AppConfig } from '../../config/app-config.js';
import { AuthResponseDto } from '../dto/auth-response.dto.js';
import {
  PasskeyAuthenticationOptionsDto,
  PasskeyDto,
  PasskeyListDto,
  PasskeyMfaDto,
  PasskeyMfaOptionsDto,
  PasskeyRegistrationOptionsDto,
  PasskeySignInDto,
  RegisterPasskeyDto,
  RemovePasskeyDto,
  RenamePasskeyDto,
} from '../dto/passkey.dto.js';
import { originOf, sendTokens } from '../refresh-cookie.js';
import { PasskeysService } from './passkeys.service.js';

const SIGNED_IN = ['UNAUTHORIZED', 'TOKEN_EXPIRED', 'SESSION_REVOKED'];
const CHALLENGE = ['PASSKEY_CHALLENGE_INVALID', 'PASSKEY_CHALLENGE_EXPIRED', 'PASSKEY_CHALLENGE_USED'];
const ASSERTION = [...CHALLENGE, 'PASSKEY_UNKNOWN', 'PASSKEY_INVALID', 'PASSKEY_REPLAYED'];

@ApiTags('auth')
@Controller('auth/passkeys')
export class PasskeysController {
  constructor(
    private readonly passkeysService: PasskeysService,
    private readonly config: AppConfig,
  ) {}

  /** The caller's passkeys: names and dates, never key material. */
  @Get()
  @ApiBearerAuth()
  @ApiErrors({ 401: SIGNED_IN })
  async list(@CurrentUser() caller: AuthUser): Promise<PasskeyListDto> {
    return { items: await this.passkeysService.list(caller.id) };
  }

  /** Starts adding a passkey: the options for `navigator.credentials.create()` (a challenge valid 5 minutes, once). */
  @Post('registration/options')
  @HttpCode(HttpStatus.OK)
  @ApiBearerAuth()
  @RateLimit('auth')
  @ApiErrors({ 401: SIGNED_IN, 429: ['RATE_LIMITED'] })
  registrationOptions(@CurrentUser() caller: AuthUser): Promise<PasskeyRegistrationOptionsDto> {
    return this.passkeysService.registrationOptions(caller);
  }

  /** Adds the passkey the browser made from those options, under a name. */
  @Post()
  @ApiBearerAuth()
  @RateLimit('auth')
  @ApiErrors({ 400: ['VALIDATION_FAILED', ...CHALLENGE, 'PASSKEY_INVALID'], 401: SIGNED_IN, 409: ['PASSKEY_ALREADY_REGISTERED'], 429: ['RATE_LIMITED'] })
  register(@CurrentUser() caller: AuthUser, @Body() dto: RegisterPasskeyDto): Promise<PasskeyDto> {
    return this.passkeysService.register(caller, dto.name, dto.credential);
  }

  /** Renames one of the caller's passkeys. */
  @Patch(':id')
  @ApiBearerAuth()
  @ApiErrors({ 400: ['VALIDATION_FAILED', 'INVALID_ID'], 401: SIGNED_IN, 404: ['PASSKEY_NOT_FOUND'] })
  rename(@CurrentUser() caller: AuthUser, @Param('id', ParseIdPipe) id: string, @Body() dto: RenamePasskeyDto): Promise<PasskeyDto> {
    return this.passkeysService.rename(caller, id, dto.name);
  }

  /** Removes one of the caller's passkeys; needs the account password. */
  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiBearerAuth()
  @RateLimit('auth')
  @ApiErrors({ 400: ['VALIDATION_FAILED', 'INVALID_ID'], 401: SIGNED_IN, 403: ['WRONG_PASSWORD'], 404: ['PASSKEY_NOT_FOUND'], 429: ['RATE_LIMITED'] })
  remove(@CurrentUser() caller: AuthUser, @Param('id', ParseIdPipe) id: string, @Body() dto: RemovePasskeyDto): Promise<void> {
    return this.passkeysService.remove(caller, id, dto.password);
  }

  /** Starts a sign-in with a passkey alone (no username): the options for `navigator.credentials.get()`. */
  @Public()
  @Post('login/options')
  @HttpCode(HttpStatus.OK)
  @RateLimit('auth')
  @ApiErrors({ 429: ['RATE_LIMITED'] })
  signInOptions(): Promise<PasskeyAuthenticationOptionsDto> {
    return this.passkeysService.signInOptions();
  }

  /**
   * Signs in with the passkey's answer: the usual tokens and session. Limited per client address, but
   * not by the per-account lock on failed passwords: a passkey still gets its owner in.
   */
  @Public()
  @Post('login')
  @HttpCode(HttpStatus.OK)
  @RateLimit('auth')
  @ApiErrors({ 400: ['VALIDATION_FAILED'], 401: ASSERTION, 429: ['RATE_LIMITED'] })
  async signIn(@Body() dto: PasskeySignInDto, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<AuthResponseDto> {
    return sendTokens(req, reply, await this.passkeysService.signIn(dto.credential, originOf(req)), this.config.cookieSecure);
  }

  /** At the second step of a password sign-in: the options for using one of the account's passkeys instead of a code. */
  @Public()
  @Post('mfa/options')
  @HttpCode(HttpStatus.OK)
  @RateLimit('auth')
  @ApiErrors({ 400: ['VALIDATION_FAILED'], 401: ['MFA_TOKEN_INVALID', 'MFA_TOKEN_EXPIRED'], 404: ['PASSKEY_NOT_FOUND'], 429: ['RATE_LIMITED'] })
  secondStepOptions(@Body() dto: PasskeyMfaOptionsDto): Promise<PasskeyAuthenticationOptionsDto> {
    return this.passkeysService.secondStepOptions(dto.mfaToken);
  }

  /** The second step of a password sign-in with a passkey instead of a code: the `mfaToken` and the passkey's answer. */
  @Public()
  @Post('mfa')
  @HttpCode(HttpStatus.OK)
  @RateLimit('auth')
  @ApiErrors({ 400: ['VALIDATION_FAILED'], 401: ['MFA_TOKEN_INVALID', 'MFA_TOKEN_EXPIRED', ...ASSERTION], 429: ['RATE_LIMITED'] })
  async secondStep(@Body() dto: PasskeyMfaDto, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<AuthResponseDto> {
    return sendTokens(req, reply, await this.passkeysService.secondStep(dto.mfaToken, dto.credential), this.config.cookieSecure);
  }
}
