import { IsUUID } from 'class-validator';
import { MessageDto, SendMessageDto } from './message.dto.js';

/**
 * Client → server `message.send`: what `POST /api/conversations/{id}/messages` takes, with the conversation
 * in the payload. The same rules, limits and idempotency (clientId) as the route, and the same events;
 * the sending socket gets no `message.created` for it, as the acknowledgement brings the message.
 */
export class SocketSendMessageDto extends SendMessageDto {
  @IsUUID()
  conversationId: string;
}

/** The acknowledgement of `message.send`. */
export class MessageSendAckDto {
  ok: boolean;
  /** With `ok: true`: false when a message with this `clientId` had already been sent (`sent` is that original, unchanged). */
  created?: boolean;
  /** With `ok: true`: the message as the route's answer would have been. */
  sent?: MessageDto;
  /**
   * With `ok: false`: the code the route would have answered with (`INVALID_ID`, `VALIDATION_FAILED`, `NOT_FRIENDS`,
   * `RATE_LIMITED`, …); `TOKEN_EXPIRED` when the socket's access token has expired or is older than a password change,
   * `SESSION_REVOKED` when its session has ended (the socket is then closed: reconnect with a fresh token, or sign in).
   */
  code?: string;
  message?: string;
  /** With `RATE_LIMITED`: seconds until a send is accepted again; with a retryable code (`DATABASE_UNAVAILABLE`, `SERVICE_UNAVAILABLE`, `TRY_AGAIN`): seconds to wait before trying again. */
  retryAfterSeconds?: number;
}
