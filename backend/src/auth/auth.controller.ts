import { Body, Controller, HttpCode, HttpStatus, Post, Put, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiExtraModels, ApiOkResponse, ApiSecurity, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { type AuthUser, CurrentUser } from '../common/current-user.decorator.js';
import { Public } from '../common/public.decorator.js';
import { RateLimit } from '../common/rate-limit.guard.js';
import { AppConfig } from '../config/app-config.js';
import { AuthService } from './auth.service.js';
import { AuthResponseDto } from './dto/auth-response.dto.js';
import { ChangePasswordDto } from './dto/change-password.dto.js';
import { LoginDto } from './dto/login.dto.js';
import { RefreshTokenDto } from './dto/refresh-token.dto.js';
import { RegisterDto } from './dto/register.dto.js';
import { LoginMfaDto, MfaRequiredDto } from './dto/totp.dto.js';
import { secondFactorOf } from './totp.controller.js';
import { clearRefreshCookie, originOf, readRefreshToken, sendTokens } from './refresh-cookie.js';

@ApiTags('auth')
@Controller()
export class AuthController {
  constructor(
    private readonly authService: AuthService,
    private readonly config: AppConfig,
  ) {}

  /** Creates an account and signs it in. */
  @Public()
  @RateLimit('auth')
  @Post('auth/register')
  @ApiErrors({ 400: ['VALIDATION_FAILED'], 409: ['USERNAME_TAKEN'], 429: ['RATE_LIMITED'] })
  async register(@Body() dto: RegisterDto, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<AuthResponseDto> {
    return sendTokens(req, reply, await this.authService.register(dto, originOf(req)), this.config.cookieSecure);
  }

  /**
   * Signs in with username and password. With two-factor authentication on, a right password answers
   * `{ mfaRequired: true, mfaToken }` instead, and `POST /api/auth/login/mfa` finishes the sign-in.
   */
  @Public()
  @RateLimit('auth')
  @Post('auth/login')
  @HttpCode(HttpStatus.OK)
  @ApiExtraModels(AuthResponseDto, MfaRequiredDto)
  @ApiOkResponse({ schema: { oneOf: [{ $ref: getSchemaPath(AuthResponseDto) }, { $ref: getSchemaPath(MfaRequiredDto) }] } })
  @ApiErrors({ 400: ['VALIDATION_FAILED'], 401: ['INVALID_CREDENTIALS'], 429: ['RATE_LIMITED'] })
  async login(@Body() dto: LoginDto, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<AuthResponseDto | MfaRequiredDto> {
    const answer = await this.authService.login(dto, originOf(req));
    return 'mfaRequired' in answer ? answer : sendTokens(req, reply, answer, this.config.cookieSecure);
  }

  /** The second step of a sign-in with two-factor authentication: the `mfaToken` and a TOTP code or a recovery code. */
  @Public()
  @RateLimit('auth')
  @Post('auth/login/mfa')
  @HttpCode(HttpStatus.OK)
  @ApiErrors({
    400: ['VALIDATION_FAILED'],
    401: ['MFA_TOKEN_INVALID', 'MFA_TOKEN_EXPIRED', 'INVALID_TOTP_CODE', 'TOTP_CODE_REUSED', 'RECOVERY_CODE_INVALID', 'RECOVERY_CODE_USED'],
    429: ['RATE_LIMITED'],
  })
  async loginMfa(@Body() dto: LoginMfaDto, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<AuthResponseDto> {
    return sendTokens(req, reply, await this.authService.loginMfa(dto.mfaToken, secondFactorOf(dto)), this.config.cookieSecure);
  }

  /** Trades a refresh token (body or `iris_refresh` cookie) for new tokens; the old one stops working. */
  @Public()
  @Post('auth/refresh')
  @HttpCode(HttpStatus.OK)
  @ApiErrors({
    400: ['VALIDATION_FAILED'],
    401: ['REFRESH_TOKEN_MISSING', 'INVALID_REFRESH_TOKEN', 'REFRESH_TOKEN_REUSED', 'SESSION_REVOKED', 'SESSION_EXPIRED'],
  })
  async refresh(@Body() dto: RefreshTokenDto, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<AuthResponseDto> {
    return sendTokens(req, reply, await this.authService.refresh(readRefreshToken(req, dto.refreshToken)), this.config.cookieSecure);
  }

  /** Ends this device's session (identified by the refresh token, or by the access token). */
  @Public()
  @Post('auth/logout')
  @HttpCode(HttpStatus.NO_CONTENT)
  // Either credential will do, so neither is required: `{}` (none) or the bearer token.
  @ApiSecurity({})
  @ApiBearerAuth()
  @ApiBody({ type: RefreshTokenDto, required: false, description: 'Only for a client that keeps the refresh token itself rather than in the cookie' })
  @ApiErrors({ 400: ['VALIDATION_FAILED'], 401: ['REFRESH_TOKEN_MISSING'] })
  async logout(
    @Body() dto: RefreshTokenDto,
    @CurrentUser() caller: AuthUser | undefined,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    await this.authService.logout(readRefreshToken(req, dto.refreshToken), caller);
    clearRefreshCookie(reply, this.config.cookieSecure);
  }

  /** Changes the password; every session ends, and this device gets a fresh one. */
  @RateLimit('auth')
  @Put('users/me/password')
  @ApiTags('users')
  @ApiBearerAuth()
  @ApiErrors({ 400: ['VALIDATION_FAILED'], 401: ['UNAUTHORIZED', 'TOKEN_EXPIRED', 'SESSION_REVOKED'], 403: ['WRONG_PASSWORD'], 429: ['RATE_LIMITED'] })
  async changePassword(
    @CurrentUser() caller: AuthUser,
    @Body() dto: ChangePasswordDto,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AuthResponseDto> {
    return sendTokens(req, reply, await this.authService.changePassword(caller, dto), this.config.cookieSecure);
  }
}
