import { Injectable, Logger } from '@nestjs/common';
import type { Server } from 'socket.io';
import type { FriendDto, FriendRequestDto } from '../friends/dto/friend.dto.js';
import type { MessageDto } from '../messages/dto/message.dto.js';
import type { ConversationReadEventDto, ConversationUpdatedEventDto, MessagesExpiredEventDto } from './dto/message-events.dto.js';
import type { PresenceEventDto } from './dto/presence-event.dto.js';
import type { SocketErrorDto } from './dto/socket-events.dto.js';
import type { TypingEventDto } from './dto/typing.dto.js';
import { PresenceStore } from './presence-store.js';
import { ServerEvent, sessionRoom, userRoom } from './realtime-events.js';

/** User ids of a conversation's members; null for an erased one. */
type Members = (string | null)[];

const SESSION_ENDED: SocketErrorDto = { code: 'SESSION_REVOKED', message: 'This session has ended; sign in again' };

/**
 * Sends events to users' sockets on every instance. Services call it after their transaction has
 * committed. It never throws: a failed emit must not fail the REST call whose write already happened.
 */
@Injectable()
export class RealtimeService {
  private readonly logger = new Logger(RealtimeService.name);
  private server: Server | null = null;

  constructor(private readonly presence: PresenceStore) {}

  /** Set by the gateway once Socket.IO runs; until then (and in the OpenAPI export) events go nowhere. */
  attach(server: Server | null): void {
    this.server = server;
  }

  messageCreated(members: Members, message: MessageDto): void {
    this.emit(members, ServerEvent.MessageCreated, message);
  }

  messageUpdated(members: Members, message: MessageDto): void {
    this.emit(members, ServerEvent.MessageUpdated, message);
  }

  /** `message` is the tombstone (`deleted: true`, `body: null`). */
  messageDeleted(members: Members, message: MessageDto): void {
    this.emit(members, ServerEvent.MessageDeleted, message);
  }

  messagesExpired(members: Members, event: MessagesExpiredEventDto): void {
    this.emit(members, ServerEvent.MessageExpired, event);
  }

  conversationRead(members: Members, event: ConversationReadEventDto): void {
    this.emit(members, ServerEvent.ConversationRead, event);
  }

  conversationUpdated(members: Members, event: ConversationUpdatedEventDto): void {
    this.emit(members, ServerEvent.ConversationUpdated, event);
  }

  typing(peerId: string, event: TypingEventDto): void {
    this.emit([peerId], ServerEvent.Typing, event);
  }

  /** To the recipient, and to the sender's other devices. */
  friendRequest(request: FriendRequestDto): void {
    this.emit([request.from.id, request.to.id], ServerEvent.FriendRequest, request);
  }

  /**
   * Each side gets the other as a `FriendDto` (`aSeesB.id` is B), then the presence of the other if
   * they are online, as friends get on connecting.
   */
  async friendAccepted(aSeesB: FriendDto, bSeesA: FriendDto): Promise<void> {
    const [a, b] = [bSeesA.id, aSeesB.id];
    this.emit([a], ServerEvent.FriendAccepted, aSeesB);
    this.emit([b], ServerEvent.FriendAccepted, bSeesA);
    const online = await this.presence.online([a, b]);
    if (online.has(b)) this.emit([a], ServerEvent.Presence, { userId: b, online: true } satisfies PresenceEventDto);
    if (online.has(a)) this.emit([b], ServerEvent.Presence, { userId: a, online: true } satisfies PresenceEventDto);
  }

  /** To the friends in `audience` (computed by the caller at emit time, blocks excluded). */
  presenceChanged(audience: string[], event: PresenceEventDto): void {
    this.emit(audience, ServerEvent.Presence, event);
  }

  /** Closes every socket of these sessions, on whichever instance, after telling them why. */
  endSessions(sessionIds: string[]): void {
    if (sessionIds.length === 0) return;
    this.attempt('end sessions', (server) => {
      const rooms = sessionIds.map(sessionRoom);
      server.to(rooms).emit(ServerEvent.Error, SESSION_ENDED);
      server.in(rooms).disconnectSockets(true);
    });
  }

  /**
   * Closes every socket of the user on every instance, except those of `exceptSessionId` (the device
   * that just changed the password); without it, all of them (erasure).
   */
  endUserSessions(userId: string, exceptSessionId?: string): void {
    this.attempt('end sessions', (server) => {
      const target = () => (exceptSessionId ? server.in(userRoom(userId)).except(sessionRoom(exceptSessionId)) : server.in(userRoom(userId)));
      target().emit(ServerEvent.Error, SESSION_ENDED);
      target().disconnectSockets(true);
    });
  }

  private emit(userIds: (string | null)[], event: string, payload: object): void {
    const rooms = [...new Set(userIds.filter((id): id is string => id !== null))].map(userRoom);
    if (rooms.length === 0) return;
    this.attempt(event, (server) => server.to(rooms).emit(event, payload));
  }

  private attempt(what: string, work: (server: Server) => void): void {
    if (!this.server) return;
    try {
      work(this.server);
    } catch (error) {
      this.logger.error(`Could not send ${what}: ${(error as Error).message}`);
    }
  }
}
