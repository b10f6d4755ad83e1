import { HttpException, Injectable, Logger } from '@nestjs/common';
import type { DefaultEventsMap, ExtendedError, Socket } from 'socket.io';
import { Clock } from '../common/clock.js';
import type { AuthUser } from '../common/current-user.decorator.js';
import { newConnectionFirst, type Refusal, refusalOf, sessionEnded, signInFirst, tokenInQuery, tokenUncheckable } from './errors.js';
import { type ServerEmits, sessionRoom, userRoom } from './realtime-events.js';
import { RealtimeService } from './realtime.service.js';
import { SocketLimits } from './socket-limits.js';

/** What an admitted socket carries for its life. */
export interface SocketData {
  userId: string;
  sessionId: string;
  /** The token's version of the user's credentials, which a send checks with its session (`send_message`). */
  tokenVersion: number;
  tokenExpiresAt: Date;
  /** Clock ms: which sockets of a user over the cap are the oldest. */
  connectedAt: number;
  address: string;
}

export type IrisSocket = Socket<DefaultEventsMap, ServerEmits, DefaultEventsMap, SocketData>;

const QUERY_TOKEN_NAMES = ['token', 'access_token', 'accesstoken', 'auth', 'authorization', 'jwt', 'bearer'];
const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]+$/;

/**
 * The handshake: a socket is admitted with `auth.token` (never a token in the URL), within its
 * address's socket limits, into its user's and its session's rooms.
 */
@Injectable()
export class SocketAdmission {
  private readonly logger = new Logger(SocketAdmission.name);

  constructor(
    private readonly realtime: RealtimeService,
    private readonly limits: SocketLimits,
    private readonly clock: Clock,
  ) {}

  /** Resolves once the socket has its data and rooms; rejects with what the client gets as `connect_error`. */
  async admit(socket: IrisSocket): Promise<void> {
    // Its request is dropped once a socket is admitted (forgetHandshake): a second connect over the same
    // connection would have no headers to take the address from, nor the query to check.
    if (!socket.request) throw handshakeError(newConnectionFirst());
    const { query, auth } = socket.handshake;
    const inQuery = Object.entries(query).some(
      ([name, value]) => QUERY_TOKEN_NAMES.includes(name.toLowerCase()) || (typeof value === 'string' && JWT_SHAPE.test(value)),
    );
    if (inQuery) {
      throw handshakeError(tokenInQuery());
    }
    const token: unknown = auth?.token;
    if (typeof token !== 'string' || token === '') {
      throw handshakeError(signInFirst());
    }
    const address = this.limits.addressOf(socket);
    const refusal = await this.limits.refusalFor(address).catch(() => tokenUncheckable());
    if (refusal) throw handshakeError(refusal);
    let user: AuthUser & { tokenVersion: number };
    try {
      user = await this.realtime.authenticate(token);
    } catch (error) {
      if (error instanceof HttpException) throw handshakeError(refusalOf(error));
      this.logger.error(`Handshake failed: ${(error as Error).message}`);
      throw handshakeError(tokenUncheckable());
    }
    socket.data = {
      userId: user.id,
      sessionId: user.sessionId,
      tokenVersion: user.tokenVersion,
      tokenExpiresAt: tokenExpiry(token),
      connectedAt: this.clock.now().getTime(),
      address,
    };
    // Joined before the client hears it is connected, so no event committed after that can miss it.
    await socket.join([userRoom(user.id), sessionRoom(user.sessionId)]);
    // A logout or erasure that committed between the check above and the join sent its "end sessions"
    // to rooms this socket was not in yet: look again now that it is.
    if (!(await this.realtime.openSessionIds([user.sessionId])).has(user.sessionId)) {
      throw handshakeError(sessionEnded());
    }
    forgetHandshake(socket);
  }
}

/** What the client gets as `connect_error`: `message`, and `data: { code, message }`. */
function handshakeError(reason: Refusal): ExtendedError {
  return Object.assign(new Error(reason.message), { data: reason });
}

/**
 * Drops what only the admission needed and every open socket would otherwise keep for its life: the
 * HTTP request it was opened with (as Socket.IO's memory guide advises), the handshake's headers,
 * query and token.
 */
function forgetHandshake(socket: IrisSocket): void {
  (socket.conn as { request: unknown }).request = null;
  Object.assign(socket.handshake, { headers: {}, query: {}, auth: {} });
}

/** `exp` of an access token that AuthService has already verified. */
function tokenExpiry(token: string): Date {
  const payload = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { exp: number };
  return new Date(payload.exp * 1000);
}
