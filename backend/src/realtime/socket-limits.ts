import { Injectable } from '@nestjs/common';
import type { Server, Socket } from 'socket.io';
import { RateLimiter } from '../common/rate-limit.guard.js';
import { askPrimary, tellPrimary } from '../common/primary-channel.js';
import { isClusterWorker } from '../common/workers.js';
import { AppConfig } from '../config/app-config.js';
import { type Refusal, rateLimited, tooManySockets, tooManySocketsFromAddress } from './errors.js';
import { userRoom } from './realtime-events.js';

const CONNECT_WINDOW_MS = 60_000;

/**
 * How many sockets a client may hold and open: new handshakes per address per minute (counted in
 * Redis when REDIS_URL is set, so across instances), open sockets per address on this instance (in
 * the primary when it runs several workers), and open sockets per user on every instance, where a new
 * one closes the oldest.
 */
@Injectable()
export class SocketLimits {
  private readonly openPerAddress = new Map<string, number>();
  private readonly shared = isClusterWorker();

  constructor(
    private readonly limiter: RateLimiter,
    private readonly config: AppConfig,
  ) {}

  /** The client's address: the socket's peer, or the first X-Forwarded-For entry when proxies are trusted (as Fastify reads it). */
  addressOf(socket: Socket): string {
    const forwarded = socket.handshake.headers['x-forwarded-for'];
    const first = typeof forwarded === 'string' ? forwarded.split(',')[0].trim() : undefined;
    return this.config.TRUST_PROXY && first ? first : socket.handshake.address;
  }

  /** Before the token is even checked: a refusal when the address opens or holds too many sockets. */
  async refusalFor(address: string): Promise<Refusal | null> {
    const open = this.shared ? await askPrimary('sockets.count', address) : (this.openPerAddress.get(address) ?? 0);
    if (open >= this.config.SOCKETS_PER_IP) return tooManySocketsFromAddress(this.config.SOCKETS_PER_IP);
    const retryAfter = await this.limiter.hit(`socket-connect:${address}`, this.config.SOCKET_CONNECTS_PER_MINUTE, CONNECT_WINDOW_MS);
    return retryAfter > 0 ? rateLimited(retryAfter) : null;
  }

  opened(address: string): void {
    if (this.shared) return tellPrimary('sockets.opened', address);
    this.openPerAddress.set(address, (this.openPerAddress.get(address) ?? 0) + 1);
  }

  closed(address: string): void {
    if (this.shared) return tellPrimary('sockets.closed', address);
    const left = (this.openPerAddress.get(address) ?? 1) - 1;
    if (left > 0) this.openPerAddress.set(address, left);
    else this.openPerAddress.delete(address);
  }

  /** When the user has more sockets than allowed on all instances, closes the oldest, telling each why. */
  async capUser(server: Server, userId: string): Promise<void> {
    const sockets = await server.in(userRoom(userId)).fetchSockets();
    const excess = sockets.length - this.config.SOCKETS_PER_USER;
    if (excess <= 0) return;
    const oldestFirst = sockets.sort((a, b) => connectedAt(a.data) - connectedAt(b.data) || a.id.localeCompare(b.id));
    for (const socket of oldestFirst.slice(0, excess)) {
      socket.emit('error', tooManySockets(this.config.SOCKETS_PER_USER));
      socket.disconnect(true);
    }
  }
}

const connectedAt = (data: unknown) => (data as { connectedAt?: number } | undefined)?.connectedAt ?? 0;
