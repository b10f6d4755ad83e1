import { HttpStatus, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { RETRY_AFTER_UNAVAILABLE_SECONDS, toApiError } from '../common/all-exceptions.filter.js';
import type { TokenClaims } from '../common/current-user.decorator.js';
import { validationFailed } from '../common/errors.js';
import { RateLimitedException, RateLimiter, rateLimitWindow } from '../common/rate-limit.guard.js';
import { AppConfig } from '../config/app-config.js';
import { invalidId, isUuid } from '../common/parse-id.pipe.js';
import { checkInput, createValidationPipe } from '../common/validation.js';
import { RealtimeService } from '../realtime/realtime.service.js';
import { type MessageSendAckDto, SocketSendMessageDto } from './dto/socket-send.dto.js';
import { MessagesController } from './messages.controller.js';
import { MessagesService } from './messages.service.js';

const SEND_ROUTE = MessagesController.prototype.send.name;

/**
 * Answers `message.send` from a socket, so that a client with its socket open sends without a request
 * of its own (the HTTP, token and validation layers a request pays for each message). It is the send
 * route in every rule: the same rate-limit window (`send`, per user), the same validation and answers,
 * the session checked by `send_message` in the same statement, and the same events.
 */
@Injectable()
export class MessagesRealtime implements OnModuleInit {
  private readonly logger = new Logger(MessagesRealtime.name);
  private readonly validation = createValidationPipe();

  constructor(
    private readonly messages: MessagesService,
    private readonly realtime: RealtimeService,
    private readonly limiter: RateLimiter,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.realtime.setSendFn((sender, payload, socketId) => this.send(sender, payload, socketId));
  }

  /**
   * In the order the route runs its parts, so that each input gets the route's answer: the input check
   * (Fastify's hook), the rate limit (a guard), the conversation id (the path's pipe), the validation of
   * the rest (the body's pipe), then the send.
   */
  async send(sender: TokenClaims, payload: unknown, socketId: string | undefined): Promise<MessageSendAckDto> {
    try {
      checkInput(payload);
      // The route's own window: a socket buys no more sends than requests do.
      const { key, limit, windowMs } = rateLimitWindow(this.config, 'send', SEND_ROUTE, sender.userId);
      await this.limiter.enforce(key, limit, windowMs);
      if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
        throw validationFailed('Send { conversationId, clientId, body or ciphertext, … } as the payload');
      }
      // The route's path id: refused with its code before the rest is validated.
      if (!isUuid((payload as { conversationId?: unknown }).conversationId)) throw invalidId('conversationId must be a UUID');
      const dto = (await this.validation.transform(payload, { type: 'body', metatype: SocketSendMessageDto })) as SocketSendMessageDto;
      const { message, created } = await this.messages.send(sender, dto.conversationId, dto, socketId);
      return { ok: true, created, sent: message };
    } catch (error) {
      const { statusCode, code, message } = toApiError(error);
      if (statusCode >= 500) this.logger.error(`message.send failed: ${(error as Error)?.message ?? String(error)}`);
      // What the route says in Retry-After: the limit's reset, or a short wait for a retryable 503.
      const retryAfterSeconds =
        error instanceof RateLimitedException ? error.retryAfterSeconds : statusCode === HttpStatus.SERVICE_UNAVAILABLE ? RETRY_AFTER_UNAVAILABLE_SECONDS : undefined;
      return { ok: false, code, message, ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) };
    }
  }
}
