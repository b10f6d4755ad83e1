/** `ready`: sent once per connection after the socket joined its rooms and got the presence of online friends. */
export class ReadyEventDto {
  userId: string;
  /** When the server will close this socket because the access token expires; reconnect with a fresh token before. */
  tokenExpiresAt: Date;
  /**
   * The largest event this server takes from a client, in bytes as sent (JSON); a bigger one closes the
   * connection. Send a bigger message (a long ciphertext) with the REST route instead of `message.send`.
   */
  maxPayloadBytes: number;
}

/**
 * `error`: something the client sent was refused (`RATE_LIMITED`, `UNKNOWN_EVENT`, or a refused `typing` sent
 * without an ack), or the server is about to close the socket (`SESSION_REVOKED`, `TOKEN_EXPIRED`).
 */
export class SocketErrorDto {
  code: string;
  message: string;
  /** The client event this answers, if any. */
  event?: string;
  /** With `RATE_LIMITED`: seconds until events are accepted again. */
  retryAfterSeconds?: number;
}

/** The acknowledgement of a client event sent with an ack callback. */
export class SocketAckDto {
  ok: boolean;
  /** With `ok: false`: a stable code such as `VALIDATION_FAILED`, `CONVERSATION_NOT_FOUND`, `NOT_FRIENDS`, `BLOCKED`, `RATE_LIMITED`. */
  code?: string;
  message?: string;
  /** With `RATE_LIMITED`: seconds until events are accepted again. */
  retryAfterSeconds?: number;
}
