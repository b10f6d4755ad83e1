import { HttpException, Injectable, Logger } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { Clock } from '../common/clock.js';
import type { SocketAckDto } from './dto/socket-events.dto.js';
import { TypingDto } from './dto/typing.dto.js';
import { blocked, internalError, invalidTyping, notFriends, peerGone, refusalOf } from './errors.js';
import { RealtimeService } from './realtime.service.js';

export const TYPING_TTL_SECONDS = 5;
/** A user's `typing` is relayed at most once per conversation in this time; the rest are acknowledged and dropped. */
export const TYPING_THROTTLE_MS = 2_000;

/**
 * Client → server `typing`: checks that the sender may still write to the conversation's peer (a
 * member, a friend, no block either way) and relays it to the peer's sockets.
 */
@Injectable()
export class TypingRelay {
  private readonly logger = new Logger(TypingRelay.name);
  /** The last relay per "<user id>/<conversation id>": when it was claimed (clock ms) and its answer. */
  private readonly relays = new Map<string, { at: number; answer: Promise<SocketAckDto> }>();

  constructor(
    private readonly realtime: RealtimeService,
    private readonly clock: Clock,
  ) {}

  /**
   * At most one relay per user and conversation per TYPING_THROTTLE_MS, however many sockets or
   * concurrent events: the first event claims the slot before its checks run, and events arriving
   * meanwhile get that event's answer. A refused check frees the slot.
   */
  async relay(userId: string, body: unknown): Promise<SocketAckDto> {
    const dto = plainToInstance(TypingDto, body);
    const invalid =
      body === null || typeof body !== 'object' || Array.isArray(body) || (await validate(dto, { whitelist: true, forbidNonWhitelisted: true })).length > 0;
    if (invalid) return { ok: false, ...invalidTyping() };

    const key = `${userId}/${dto.conversationId}`;
    const now = this.clock.now().getTime();
    const previous = this.relays.get(key);
    if (previous && now - previous.at < TYPING_THROTTLE_MS) {
      const answer = await previous.answer;
      return answer.ok ? { ok: true } : answer;
    }
    if (this.relays.size > 1000) {
      for (const [id, relay] of this.relays) if (now - relay.at >= TYPING_THROTTLE_MS) this.relays.delete(id);
    }
    const relay = { at: now, answer: this.checkAndRelay(userId, dto.conversationId, now) };
    this.relays.set(key, relay);
    const answer = await relay.answer;
    if (!answer.ok && this.relays.get(key) === relay) this.relays.delete(key);
    return answer;
  }

  private async checkAndRelay(userId: string, conversationId: string, now: number): Promise<SocketAckDto> {
    try {
      const peerId = await this.realtime.peerOf(userId, conversationId);
      if (!peerId) return { ok: false, ...peerGone() };
      const relationship = await this.realtime.relationship(userId, peerId);
      if (relationship.blockedByMe || relationship.blockedMe) return { ok: false, ...blocked() };
      if (!relationship.friends) return { ok: false, ...notFriends() };
      this.realtime.typing(peerId, { conversationId, userId, expiresAt: new Date(now + TYPING_TTL_SECONDS * 1000), ttlSeconds: TYPING_TTL_SECONDS });
      return { ok: true };
    } catch (error) {
      if (error instanceof HttpException) return { ok: false, ...refusalOf(error) };
      this.logger.error(`typing failed: ${(error as Error).message}`);
      return { ok: false, ...internalError() };
    }
  }
}
