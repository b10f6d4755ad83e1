import { computed, effect, inject, Injectable, InjectionToken, type OnDestroy, signal } from '@angular/core';
import { Observable, Subject } from 'rxjs';
import { filter, map } from 'rxjs/operators';
import { io } from 'socket.io-client';
import type { MessageSendAckDto } from '../../sdk/models/message-send-ack-dto';
import { type ClientEvents, SERVER_EVENTS, type ServerEvents } from '../../sdk/realtime-events';
import { AuthStore } from './auth-store';

/** The part of a socket.io-client socket the service uses (a fake one stands in for it in tests). */
export interface RealtimeSocket {
  auth: unknown;
  connected: boolean;
  /** Socket.IO's id of the connection, while connected. */
  id?: string;
  on(event: string, listener: (...args: any[]) => void): unknown;
  emit(event: string, ...args: unknown[]): unknown;
  /** An emit whose acknowledgement callback gets `(error, answer)`: an error when no answer came within `ms` or the socket dropped. */
  timeout(ms: number): { emit(event: string, ...args: unknown[]): unknown };
  connect(): unknown;
  disconnect(): unknown;
}

export type SocketFactory = (token: string) => RealtimeSocket;

export const SOCKET_FACTORY = new InjectionToken<SocketFactory>('SOCKET_FACTORY', {
  providedIn: 'root',
  // Same origin, at /socket.io; the token travels in `auth`, never in the URL. WebSocket first: one
  // connection, so it needs no sticky session when the server runs several workers (or instances).
  // Long-polling only where a WebSocket cannot be opened (a proxy that refuses the upgrade, a browser
  // that blocks it); a server of one process serves it, one of several workers refuses it.
  factory: () => (token) => io({ auth: { token }, autoConnect: true, transports: ['websocket', 'polling'], tryAllTransports: true }) as unknown as RealtimeSocket,
});

/** The server events stores subscribe to; `ready` and `error` are this service's own business. */
export type RealtimeEvents = Omit<ServerEvents, 'ready' | 'error'>;

const FORWARDED = SERVER_EVENTS.filter((name): name is keyof RealtimeEvents => name !== 'ready' && name !== 'error');

/** Codes after which a fresh access token may get the socket in again. */
const TOKEN_CODES = new Set(['TOKEN_EXPIRED', 'INVALID_TOKEN', 'UNAUTHORIZED']);
const RECONNECT_DELAY_MS = 2_000;
/** Reconnect with the newer token this long before the server would close the socket. */
const RENEW_MARGIN_MS = 20_000;
/**
 * How long a `message.send` may wait for its acknowledgement. The server answers as fast as the send
 * route does; past this the connection is as good as gone, and the sender tries again (its clientId
 * makes a resend that the server did receive come back as the original).
 */
export const SEND_ACK_TIMEOUT_MS = 10_000;
/**
 * Room left for what Socket.IO wraps around the event's JSON (packet type, acknowledgement id) and for a
 * small packet sent along in the same long-polling request, which the server's limit counts as well.
 */
const FRAMING_MARGIN_BYTES = 512;

/** Whether an event fits under the server's `maxPayloadBytes`, which counts UTF-8 bytes of the packet as sent. */
export function fitsSocketEvent(event: keyof ClientEvents, payload: unknown, maxPayloadBytes: number): boolean {
  return new TextEncoder().encode(JSON.stringify([event, payload])).length + FRAMING_MARGIN_BYTES <= maxPayloadBytes;
}

/** A `message.send` that got no answer: the socket was not ready, dropped, or the acknowledgement was late. */
export class SocketSendError extends Error {
  override readonly name = 'SocketSendError';
}

/**
 * One socket for the signed-in user. It follows the auth store: connects when signed in, closes at
 * sign-out, and when the server closes it (token expired, session ended) it refreshes the tokens and
 * connects again. After every `ready` (first connect or reconnect), `ready$` fires so that stores catch
 * up on what was sent while the socket was away.
 */
@Injectable({ providedIn: 'root' })
export class Realtime implements OnDestroy {
  private readonly auth = inject(AuthStore);
  private readonly createSocket = inject(SOCKET_FACTORY);
  private socket: RealtimeSocket | null = null;
  private readonly events$ = new Subject<{ name: string; payload: unknown }>();
  private readonly readySubject = new Subject<ServerEvents['ready']>();
  private readonly state = signal<'offline' | 'connecting' | 'ready'>('offline');
  private readonly everReady = signal(false);
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private renewTimer: ReturnType<typeof setTimeout> | undefined;
  /** The token the socket's last handshake carried. */
  private socketToken: string | null = null;
  /** The largest event the server takes (from `ready`); null from a server that does not say, which then gets no sends. */
  private maxPayloadBytes: number | null = null;

  /** Fires after each `ready`: the socket is in its rooms, so catch-up from now misses nothing. */
  readonly ready$ = this.readySubject.asObservable();
  readonly status = this.state.asReadonly();
  readonly ready = computed(() => this.state() === 'ready');
  /** True while a socket that was in its rooms is trying to get back (for the "Reconnecting…" banner). */
  readonly reconnecting = computed(() => this.everReady() && this.state() === 'connecting');

  constructor() {
    effect(() => {
      const signedIn = this.auth.signedIn();
      if (signedIn && !this.socket) this.open();
      if (!signedIn && this.socket) this.close();
    });
    // Socket.IO's own reconnections (after a network drop) use `socket.auth`: keep it on the newest token.
    effect(() => {
      const token = this.auth.accessToken();
      if (token && this.socket) this.socket.auth = { token };
    });
  }

  on<K extends keyof RealtimeEvents>(name: K): Observable<RealtimeEvents[K]> {
    return this.events$.pipe(
      filter((event) => event.name === name),
      map((event) => event.payload as RealtimeEvents[K]),
    );
  }

  /**
   * The id of this tab's socket while it is in its rooms, for a send to name (X-Socket-Id): the server
   * then does not echo the message back to it, as the send's answer already brought it.
   */
  socketId(): string | undefined {
    return this.state() === 'ready' && this.socket?.connected ? this.socket.id : undefined;
  }

  /**
   * Hands subscribers an event as if this tab's socket had received it: a message this tab sent naming
   * its socket, which the server therefore did not send back to it.
   */
  echo<K extends keyof RealtimeEvents>(name: K, payload: RealtimeEvents[K]): void {
    this.events$.next({ name, payload });
  }

  /**
   * Whether `message.send` can carry this payload now: the socket is in its rooms and the event is under
   * the server's limit (a bigger one would make the server drop the connection; it goes over REST).
   */
  canSend(payload: ClientEvents['message.send']): boolean {
    return this.socketId() !== undefined && this.maxPayloadBytes !== null && fitsSocketEvent('message.send', payload, this.maxPayloadBytes);
  }

  /**
   * Sends a message over the open socket, as `POST /api/conversations/{id}/messages` would, and resolves
   * with the server's acknowledgement (a refusal included). Rejects with a SocketSendError when the socket
   * is not ready, drops before the answer, or the answer does not come within SEND_ACK_TIMEOUT_MS.
   * This socket gets no `message.created` for it: the acknowledgement carries the message.
   */
  send(payload: ClientEvents['message.send']): Promise<MessageSendAckDto> {
    const socket = this.socket;
    if (!socket || this.socketId() === undefined) return Promise.reject(new SocketSendError('The socket is not connected'));
    return new Promise((resolve, reject) => {
      // Socket.IO calls this with an error on the timeout and when the socket disconnects (sign-out included).
      socket.timeout(SEND_ACK_TIMEOUT_MS).emit('message.send', payload, (error: Error | null, answer: MessageSendAckDto) => {
        if (error) reject(new SocketSendError(error.message));
        else resolve(answer);
      });
    });
  }

  /** Tells the peer that the user is typing; the server relays at most one every 2 seconds. */
  typing(conversationId: string): void {
    if (this.socket?.connected) this.socket.emit('typing', { conversationId } satisfies ClientEvents['typing'], () => undefined);
  }

  ngOnDestroy(): void {
    this.close();
  }

  private open(): void {
    const token = this.auth.accessToken();
    if (!token) return;
    const socket = this.createSocket(token);
    this.socket = socket;
    this.socketToken = token;
    this.state.set('connecting');
    socket.on('ready', (payload: ServerEvents['ready']) => {
      if (this.socket !== socket) return;
      this.state.set('ready');
      this.everReady.set(true);
      this.maxPayloadBytes = typeof payload.maxPayloadBytes === 'number' && payload.maxPayloadBytes > 0 ? payload.maxPayloadBytes : null;
      this.socketToken = (socket.auth as { token?: string } | undefined)?.token ?? this.socketToken;
      this.scheduleRenewal(socket, payload.tokenExpiresAt);
      this.readySubject.next(payload);
    });
    for (const name of FORWARDED) {
      socket.on(name, (payload: unknown) => {
        if (this.socket === socket) this.events$.next({ name, payload });
      });
    }
    socket.on('disconnect', (reason: string) => {
      if (this.socket !== socket) return;
      this.state.set('connecting');
      // Socket.IO reconnects by itself except when the server closed the socket on purpose.
      if (reason === 'io server disconnect') void this.reconnect(socket);
    });
    socket.on('connect_error', (error: { data?: { code?: string } }) => {
      if (this.socket !== socket) return;
      this.state.set('connecting');
      const code = error?.data?.code;
      if (code && TOKEN_CODES.has(code)) void this.reconnect(socket);
      else if (code === 'SESSION_REVOKED') void this.reconnect(socket);
    });
  }

  /**
   * A newer token first (the auth store's, or a refresh when the socket already had the newest one and
   * it was refused), then the same socket again.
   */
  private async reconnect(socket: RealtimeSocket): Promise<void> {
    clearTimeout(this.retryTimer);
    const renewed = await this.auth.renewAfter(this.socketToken);
    if (this.socket !== socket) return;
    const token = this.auth.accessToken();
    if (!renewed || !token) {
      // Signed out by the refresh (the effect closes the socket), or a network hiccup: try later.
      if (this.auth.signedIn()) this.retryTimer = setTimeout(() => void this.reconnect(socket), RECONNECT_DELAY_MS);
      return;
    }
    socket.auth = { token };
    this.socketToken = token;
    socket.connect();
  }

  /**
   * Before the server closes the socket at `tokenExpiresAt`, connect again with the token the auth store
   * has refreshed meanwhile (the server closing it would do the same, a little later and with a gap).
   */
  private scheduleRenewal(socket: RealtimeSocket, tokenExpiresAt: string): void {
    clearTimeout(this.renewTimer);
    const at = Date.parse(tokenExpiresAt);
    if (Number.isNaN(at)) return;
    this.renewTimer = setTimeout(() => {
      if (this.socket !== socket) return;
      socket.disconnect();
      void this.reconnect(socket);
    }, Math.max(0, at - Date.now() - RENEW_MARGIN_MS));
  }

  private close(): void {
    clearTimeout(this.retryTimer);
    clearTimeout(this.renewTimer);
    const socket = this.socket;
    this.socket = null;
    this.state.set('offline');
    this.everReady.set(false);
    socket?.disconnect();
  }
}
