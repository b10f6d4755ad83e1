import { type BeforeApplicationShutdown, Logger, type OnApplicationBootstrap } from '@nestjs/common';
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
import type { Event, ExtendedError, Server } from 'socket.io';
import { Clock } from '../common/clock.js';
import { AppConfig } from '../config/app-config.js';
import type { PresenceEventDto } from './dto/presence-event.dto.js';
import type { MessageSendAckDto } from '../messages/dto/socket-send.dto.js';
import type { SocketAckDto } from './dto/socket-events.dto.js';
import { internalError, rateLimited, type Refusal, sessionEnded, tokenExpired, tokenSuperseded, unknownEvent } from './errors.js';
import { PresenceStore } from './presence-store.js';
import { CLIENT_EVENT_NAMES, type ClientEvents } from './realtime-events.js';
import { RealtimeService } from './realtime.service.js';
import { type IrisSocket, SocketAdmission } from './socket-admission.js';
import { SocketLimits } from './socket-limits.js';
import { TokenBucket } from './token-bucket.js';
import { TypingRelay } from './typing-relay.js';

type Ack<T = SocketAckDto> = (answer: T) => void;

/** How often sockets are checked for expired tokens and ended sessions, and presence is kept up. */
export const SOCKET_CHECK_INTERVAL_MS = 10_000;
const RATE_PERIOD_MS = 10_000;
/** Between instances (serverSideEmit): close your sockets, their clients missed events. */
const CATCH_UP_EVENT = 'iris:catch-up';
const CLIENT_EVENTS = new Set<string>(CLIENT_EVENT_NAMES);

/**
 * Socket.IO at /socket.io. SocketAdmission admits each handshake (with `auth.token`) into its user's and
 * its session's room; TypingRelay answers `typing`. Events to clients are sent by RealtimeService; this
 * gateway owns the connections: presence, the event budget, and closing sockets whose token expired or
 * whose session ended.
 */
@WebSocketGateway()
export class RealtimeGateway implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(RealtimeGateway.name);
  private server: Server | null = null;
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  /** Presence work per socket, chained so a disconnect never overtakes its own connect. */
  private readonly presenceWork = new Map<string, Promise<void>>();
  /** One event budget per user on this instance, shared by their sockets: opening more sockets buys no more events. */
  private readonly eventBudgets = new Map<string, { bucket: TokenBucket; sockets: number }>();
  /** The last `message.send` of each socket, which the next one waits for. */
  private readonly sendQueues = new WeakMap<IrisSocket, Promise<void>>();

  constructor(
    private readonly realtime: RealtimeService,
    private readonly presence: PresenceStore,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly limits: SocketLimits,
    private readonly admission: SocketAdmission,
    private readonly typingRelay: TypingRelay,
  ) {}

  afterInit(server: Server): void {
    this.server = server;
    this.realtime.attach(server);
    (server as unknown as NodeJS.EventEmitter).on(CATCH_UP_EVENT, () => this.releaseSockets());
    server.use((socket, next) => {
      this.admission.admit(socket as IrisSocket).then(
        () => next(),
        (error: ExtendedError) => next(error),
      );
    });
  }

  /**
   * Redis is back after an outage: events between instances were lost meanwhile. This instance's sockets
   * are closed so their clients reconnect and catch up (`after=<seq>`); when this instance failed to
   * publish, the other instances close theirs too. Presence is written back at once.
   */
  async redisRestored(othersMissedEvents: boolean): Promise<void> {
    this.logger.warn('Redis is back: closing sockets so clients catch up on what crossed instances meanwhile');
    if (othersMissedEvents) this.othersMissedEvents();
    this.releaseSockets();
    await this.tick();
  }

  /** Events this instance published did not reach the others: their clients reconnect and catch up. */
  othersMissedEvents(): void {
    this.server?.serverSideEmit(CATCH_UP_EVENT);
  }

  async onApplicationBootstrap(): Promise<void> {
    this.presence.onRestored(() => void this.tick());
    // The first heartbeat must exist before sockets connect, or their presence would not count.
    await this.tick();
    this.timer = setInterval(() => void this.tick(), SOCKET_CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    // Closed here, before Nest closes the server, so friends are told and presence is cleaned up.
    this.releaseSockets();
    await Promise.allSettled([...this.presenceWork.values()]);
    await this.presence.close();
  }

  /** Closes this instance's sockets; clients reconnect (to another instance, behind a load balancer) and catch up. */
  releaseSockets(): void {
    this.server?.local.disconnectSockets(true);
  }

  handleConnection(socket: IrisSocket): void {
    const { userId } = socket.data;
    this.limits.opened(socket.data.address);
    // Once connected, so that this socket counts among the user's: the middleware's socket is not listed yet.
    this.limits.capUser(this.server!, userId).catch((error: Error) => this.logger.error(`Socket cap check failed: ${error.message}`));
    const budget = this.eventBudgets.get(userId) ?? { bucket: new TokenBucket(this.config.SOCKET_EVENTS_PER_10_SECONDS, RATE_PERIOD_MS, this.clock), sockets: 0 };
    budget.sockets += 1;
    this.eventBudgets.set(userId, budget);
    socket.use((packet, next) => this.admitEvent(socket, budget.bucket, packet, next));
    this.queuePresenceWork(socket, () => this.announce(socket));
  }

  handleDisconnect(socket: IrisSocket): void {
    if (socket.data?.address) this.limits.closed(socket.data.address);
    const budget = this.eventBudgets.get(socket.data?.userId);
    if (budget && --budget.sockets === 0) this.eventBudgets.delete(socket.data.userId);
    this.queuePresenceWork(socket, () => this.depart(socket));
  }

  @SubscribeMessage('typing' satisfies keyof ClientEvents)
  async typing(@ConnectedSocket() socket: IrisSocket, @MessageBody() body: unknown, @Ack() ack?: Ack): Promise<void> {
    let answer: SocketAckDto;
    try {
      answer = await this.typingRelay.relay(socket.data.userId, body);
    } catch (error) {
      this.logger.error(`typing failed: ${(error as Error).message}`);
      answer = { ok: false, ...internalError() };
    }
    this.answer(socket, 'typing', answer, ack);
  }

  /**
   * A send over the open socket, answered by the messages module exactly as the send route would answer
   * it. Without an ack the socket has no other way to learn its message, so it gets the `message.created`
   * it would otherwise be spared. A socket whose token expired or whose session ended is refused and
   * closed, as the socket check would close it a little later.
   */
  @SubscribeMessage('message.send' satisfies keyof ClientEvents)
  sendMessage(@ConnectedSocket() socket: IrisSocket, @MessageBody() body: unknown, @Ack() ack?: Ack<MessageSendAckDto>): Promise<void> {
    // One at a time per socket, in the order they came: a client that sends without waiting for each
    // answer still gets its messages stored in the order it sent them (the route promises nothing of the kind).
    const previous = this.sendQueues.get(socket) ?? Promise.resolve();
    const run = () => this.sendNow(socket, body, ack);
    const queued = previous.then(run, run);
    this.sendQueues.set(socket, queued);
    return queued;
  }

  private async sendNow(socket: IrisSocket, body: unknown, ack?: Ack<MessageSendAckDto>): Promise<void> {
    if (!socket.connected) return;
    const { userId, sessionId, tokenVersion, tokenExpiresAt } = socket.data;
    let answer: MessageSendAckDto;
    if (tokenExpiresAt <= this.clock.now()) {
      answer = { ok: false, ...tokenExpired() };
    } else {
      try {
        answer = await this.realtime.send({ userId, sessionId, tokenVersion }, body, typeof ack === 'function' ? socket.id : undefined);
        // The statement refuses a token older than a password change like an ended session. The session of
        // the device that changed the password goes on (its new token is in hand): it must reconnect, not sign in.
        if (answer.code === 'SESSION_REVOKED' && (await this.realtime.openSessionIds([sessionId])).has(sessionId)) {
          answer = { ok: false, ...tokenSuperseded() };
        }
      } catch (error) {
        this.logger.error(`message.send failed: ${(error as Error).message}`);
        answer = { ok: false, ...internalError() };
      }
    }
    this.answer(socket, 'message.send', answer, ack);
    if (answer.code === 'TOKEN_EXPIRED' || answer.code === 'SESSION_REVOKED') {
      this.close(socket, { code: answer.code, message: answer.message! });
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

  private admitEvent(socket: IrisSocket, bucket: TokenBucket, [event, ...args]: Event, next: (error?: Error) => void): void {
    const last: unknown = args[args.length - 1];
    const ack = typeof last === 'function' ? (last as Ack) : undefined;
    const refuse = (answer: Refusal & { retryAfterSeconds?: number }, report: boolean) => {
      if (ack) ack({ ok: false, ...answer });
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
    socket.emit('ready', { userId, tokenExpiresAt, maxPayloadBytes: this.config.SOCKET_MAX_PAYLOAD_BYTES });
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

  /** The answer to a client event: its ack, or else an `error` event when it was refused. */
  private answer<T extends SocketAckDto>(socket: IrisSocket, event: keyof ClientEvents, answer: T, ack?: Ack<T>): void {
    if (typeof ack === 'function') {
      ack(answer);
    } else if (!answer.ok) {
      socket.emit('error', { code: answer.code!, message: answer.message!, event });
    }
  }

  private close(socket: IrisSocket, reason: Refusal): void {
    socket.emit('error', reason);
    socket.disconnect(true);
  }
}
