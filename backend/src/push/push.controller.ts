import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { type AuthUser, CurrentUser } from '../common/current-user.decorator.js';
import { CreatePushSubscriptionDto, DeletePushSubscriptionDto, VapidPublicKeyDto } from './dto/push.dto.js';
import { PushService } from './push.service.js';

@ApiTags('push')
@ApiBearerAuth()
@ApiErrors({ 401: ['UNAUTHORIZED', 'TOKEN_EXPIRED', 'SESSION_REVOKED'] })
@Controller('push')
export class PushController {
  constructor(private readonly pushService: PushService) {}

  /** The server's VAPID public key, the `applicationServerKey` to subscribe the browser with. */
  @Get('vapid-public-key')
  vapidPublicKey(): VapidPublicKeyDto {
    return this.pushService.vapidPublicKey();
  }

  /**
   * Registers this device's push subscription (`PushSubscription.toJSON()`); it replaces the device's
   * earlier one and ends with the session. Pushes carry `{ type: 'message', conversationId, unread }` only.
   */
  @Post('subscriptions')
  @HttpCode(HttpStatus.CREATED)
  @ApiErrors({ 400: ['VALIDATION_FAILED', 'INVALID_PUSH_ENDPOINT', 'INVALID_PUSH_KEYS'] })
  subscribe(@CurrentUser() caller: AuthUser, @Body() dto: CreatePushSubscriptionDto): Promise<void> {
    return this.pushService.subscribe(caller.id, caller.sessionId, dto);
  }

  /** Stops pushes to this endpoint (one of yours). */
  @Delete('subscriptions')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiErrors({ 400: ['VALIDATION_FAILED'], 404: ['PUSH_SUBSCRIPTION_NOT_FOUND'] })
  unsubscribe(@CurrentUser() caller: AuthUser, @Body() dto: DeletePushSubscriptionDto): Promise<void> {
    return this.pushService.unsubscribe(caller.id, dto.endpoint);
  }
}
