import { type BeforeApplicationShutdown, HttpException, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import {
  Ack,
  ConnectedSocket,
  MessageBody,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import type { DefaultEventsMap, Event, ExtendedError, Server, Socket } from 'socket.io';
import { Clock } from '../common/clock.js';
import type { AuthUser } from '../common/current-user.decorator.js';
import { AppConfig } from '../config/app-config.js';
import type { PresenceEventDto } from './dto/presence-event.dto.js';
import type { SocketAckDto } from './dto/socket-events.dto.js';
import { TypingDto } from './dto/typing.dto.js';
import {
  blocked,
  internalError,
  invalidTyping,
  notFriends,
  peerGone,
  rateLimited,
  type Refusal,
  refusalOf,
  sessionEnded,
  signInFirst,
  tokenExpired,
  tokenInQuery,
  tokenUncheckable,
  unknownEvent,
} from './errors.js';
import { PresenceStore } from './presence-store.js';
import { CLIENT_EVENT_NAMES, type ClientEvents, type ServerEmits, sessionRoom, userRoom } from './realtime-events.js';
import { RealtimeService } from './realtime.service.js';
import { TokenBucket } from './token-bucket.js';

interface SocketData {
  userId: string;
  sessionId: string;
  tokenExpiresAt: Date;
  /** Per conversation, when this socket last relayed `typing` (clock ms). */
  typingRelayedAt: Map<string, number>;
}

type IrisSocket = Socket<DefaultEventsMap, ServerEmits, DefaultEventsMap, SocketData>;
type Ack = (answer: SocketAckDto) => void;

/** How often sockets are checked for expired tokens and ended sessions, and presence is kept up. */
export const SOCKET_CHECK_INTERVAL_MS = 10_000;
export const TYPING_TTL_SECONDS = 5;
/** A socket relays at most one `typing` per conversation in this time; the rest are acknowledged and dropped. */
export const TYPING_THROTTLE_MS = 2_000;
const RATE_PERIOD_MS = 10_000;
const CLIENT_EVENTS = new Set<string>(CLIENT_EVENT_NAMES);
const QUERY_TOKEN_NAMES = ['token', 'access_token', 'accesstoken', 'auth', 'authorization', 'jwt', 'bearer'];
const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]+$/;

/**
 * Socket.IO at /socket.io. The handshake authenticates with `auth.token`; each socket joins its user's
 * and its session's room. Events to clients are sent by RealtimeService; this gateway owns the
 * connections: presence, `typing` from clients, rate limits, and closing sockets whose token expired
 * or whose session ended.
 */
@WebSocketGateway()
export class RealtimeGateway implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(RealtimeGateway.name);
  private server: Server | null = null;
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  /** Presence work per socket, chained so a disconnect never overtakes its own connect. */
  private readonly presenceWork = new Map<string, Promise<void>>();

  constructor(
    private readonly realtime: RealtimeService,
    private readonly presence: PresenceStore,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  afterInit(server: Server): void {
    this.server = server;
    this.realtime.attach(server);
    server.use((socket, next) => {
      this.admitConnection(socket as IrisSocket).then(
        () => next(),
        (error: ExtendedError) => next(error),
      );
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    // The first heartbeat must exist before sockets connect, or their presence would not count.
    await this.tick();
    this.timer = setInterval(() => void this.tick(), SOCKET_CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    // Closed here, before Nest closes the server, so friends are told and presence is cleaned up.
    this.server?.local.disconnectSockets(true);
    await Promise.allSettled([...this.presenceWork.values()]);
    await this.presence.close();
  }

  handleConnection(socket: IrisSocket): void {
    const bucket = new TokenBucket(this.config.SOCKET_EVENTS_PER_10_SECONDS, RATE_PERIOD_MS, this.clock);
    socket.use((packet, next) => this.admitEvent(socket, bucket, packet, next));
    this.queuePresenceWork(socket, () => this.announce(socket));
  }

  handleDisconnect(socket: IrisSocket): void {
    this.queuePresenceWork(socket, () => this.depart(socket));
  }

  @SubscribeMessage('typing' satisfies keyof ClientEvents)
  async typing(@ConnectedSocket() socket: IrisSocket, @MessageBody() body: unknown, @Ack() ack?: Ack): Promise<void> {
    let answer: SocketAckDto;
    try {
      answer = await this.relayTyping(socket, body);
    } catch (error) {
      this.logger.error(`typing failed: ${(error as Error).message}`);
      answer = { ok: false, ...internalError() };
    }
    if (typeof ack === 'function') {
      ack(answer);
    } else if (!answer.ok) {
      socket.emit('error', { code: answer.code!, message: answer.message!, event: 'typing' });
    }
  }

  /**
   * Closes this instance's sockets whose access token has expired or whose session has ended by any
   * path (logout, password change, refresh-token reuse, erasure, expiry). Runs every
   * SOCKET_CHECK_INTERVAL_MS; tests call it after moving the clock.
   */
  async checkSockets(): Promise<void> {
    if (!this.server) return;
    const now = this.clock.now();
    const open: IrisSocket[] = [];
    for (const socket of this.server.of('/').sockets.values() as IterableIterator<IrisSocket>) {
      if (!socket.data?.userId) continue;
      if (socket.data.tokenExpiresAt <= now) {
        this.close(socket, tokenExpired());
      } else {
        open.push(socket);
      }
    }
    if (open.length === 0) return;
    const live = await this.realtime.openSessionIds([...new Set(open.map((socket) => socket.data.sessionId))]);
    for (const socket of open) {
      if (!live.has(socket.data.sessionId)) this.close(socket, sessionEnded());
    }
  }

  /** Heartbeat and presence upkeep, then the socket check; never overlaps itself. */
  async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      const changes = await this.presence.maintain();
      for (const userId of changes.online) await this.tellFriends({ userId, online: true });
      for (const userId of changes.offline) await this.tellFriends({ userId, online: false });
      await this.checkSockets();
    } catch (error) {
      this.logger.error(`Socket upkeep failed: ${(error as Error).message}`);
    } finally {
      this.ticking = false;
    }
  }

  private async admitConnection(socket: IrisSocket): Promise<void> {
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
    let user: AuthUser;
    try {
      user = await this.realtime.authenticate(token);
    } catch (error) {
      if (error instanceof HttpException) throw handshakeError(refusalOf(error));
      this.logger.error(`Handshake failed: ${(error as Error).message}`);
      throw handshakeError(tokenUncheckable());
    }
    socket.data = { userId: user.id, sessionId: user.sessionId, tokenExpiresAt: tokenExpiry(token), typingRelayedAt: new Map() };
    // Joined before the client hears it is connected, so no event committed after that can miss it.
    await socket.join([userRoom(user.id), sessionRoom(user.sessionId)]);
    // A logout or erasure that committed between the check above and the join sent its "end sessions"
    // to rooms this socket was not in yet: look again now that it is.
    if (!(await this.realtime.openSessionIds([user.sessionId])).has(user.sessionId)) {
      throw handshakeError(sessionEnded());
    }
  }

  private admitEvent(socket: IrisSocket, bucket: TokenBucket, [event, ...args]: Event, next: (error?: Error) => void): void {
    const last: unknown = args[args.length - 1];
    const ack = typeof last === 'function' ? (last as Ack) : undefined;
    const refuse = (answer: Refusal & { retryAfterSeconds?: number }, report: boolean) => {
      if (ack) ack({ ok: false, code: answer.code, message: answer.message });
      else if (report) socket.emit('error', { ...answer, event });
    };
    const taken = bucket.take();
    if (!taken.allowed) {
      const seconds = taken.retryAfterSeconds;
      refuse({ ...rateLimited(seconds), retryAfterSeconds: seconds }, taken.firstRefusal);
      return;
    }
    if (!CLIENT_EVENTS.has(event)) {
      refuse(unknownEvent(CLIENT_EVENT_NAMES), true);
      return;
    }
    next();
  }

  private async relayTyping(socket: IrisSocket, body: unknown): Promise<SocketAckDto> {
    const dto = plainToInstance(TypingDto, body);
    const invalid =
      body === null || typeof body !== 'object' || Array.isArray(body) || (await validate(dto, { whitelist: true, forbidNonWhitelisted: true })).length > 0;
    if (invalid) return { ok: false, ...invalidTyping() };

    const { userId, typingRelayedAt } = socket.data;
    const now = this.clock.now().getTime();
    const last = typingRelayedAt.get(dto.conversationId);
    // Only relays that passed the checks below are remembered, so this never skips a check.
    if (last !== undefined && now - last < TYPING_THROTTLE_MS) return { ok: true };

    let peerId: string | null;
    try {
      peerId = await this.realtime.peerOf(userId, dto.conversationId);
    } catch (error) {
      if (error instanceof HttpException) return { ok: false, ...refusalOf(error) };
      throw error;
    }
    if (!peerId) return { ok: false, ...peerGone() };
    const relationship = await this.realtime.relationship(userId, peerId);
    if (relationship.blockedByMe || relationship.blockedMe) return { ok: false, ...blocked() };
    if (!relationship.friends) return { ok: false, ...notFriends() };

    if (typingRelayedAt.size > 100) {
      for (const [id, at] of typingRelayedAt) if (now - at >= TYPING_THROTTLE_MS) typingRelayedAt.delete(id);
    }
    typingRelayedAt.set(dto.conversationId, now);
    this.realtime.typing(peerId, {
      conversationId: dto.conversationId,
      userId,
      expiresAt: new Date(now + TYPING_TTL_SECONDS * 1000),
      ttlSeconds: TYPING_TTL_SECONDS,
    });
    return { ok: true };
  }

  /** Records the socket, tells friends if the user just came online, sends it the presence of online friends, then `ready`. */
  private async announce(socket: IrisSocket): Promise<void> {
    const { userId, tokenExpiresAt } = socket.data;
    try {
      const cameOnline = await this.presence.connect(userId, socket.id);
      const audience = await this.realtime.presenceAudience(userId);
      if (cameOnline) this.realtime.presenceChanged(audience, { userId, online: true });
      const online = await this.presence.online(audience);
      for (const friendId of audience) {
        if (online.has(friendId)) socket.emit('presence', { userId: friendId, online: true });
      }
    } catch (error) {
      this.logger.error(`Presence on connect failed: ${(error as Error).message}`);
    }
    socket.emit('ready', { userId, tokenExpiresAt });
  }

  private async depart(socket: IrisSocket): Promise<void> {
    try {
      if (await this.presence.disconnect(socket.data.userId, socket.id)) await this.tellFriends({ userId: socket.data.userId, online: false });
    } catch (error) {
      this.logger.error(`Presence on disconnect failed: ${(error as Error).message}`);
    }
  }

  /** Friends are read at emit time, so an unfriend or a block takes effect at once. */
  private async tellFriends(event: PresenceEventDto): Promise<void> {
    this.realtime.presenceChanged(await this.realtime.presenceAudience(event.userId), event);
  }

  private queuePresenceWork(socket: IrisSocket, work: () => Promise<void>): void {
    const queued = (this.presenceWork.get(socket.id) ?? Promise.resolve()).then(work).catch(() => undefined);
    this.presenceWork.set(socket.id, queued);
    void queued.finally(() => {
      if (this.presenceWork.get(socket.id) === queued) this.presenceWork.delete(socket.id);
    });
  }

  private close(socket: IrisSocket, reason: Refusal): void {
    socket.emit('error', reason);
    socket.disconnect(true);
  }
}

/** What the client gets as `connect_error`: `message`, and `data: { code, message }`. */
function handshakeError(reason: Refusal): ExtendedError {
  return Object.assign(new Error(reason.message), { data: reason });
}

/** `exp` of an access token that AuthService has already verified. */
function tokenExpiry(token: string): Date {
  const payload = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { exp: number };
  return new Date(payload.exp * 1000);
}
