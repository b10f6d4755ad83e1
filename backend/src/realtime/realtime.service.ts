import { Injectable, Logger } from '@nestjs/common';
import type { DefaultEventsMap, Server } from 'socket.io';
import type { AuthUser, TokenClaims } from '../common/current-user.decorator.js';
import type { SessionCreatedEventDto } from '../auth/dto/session.dto.js';
import type { FriendDto, FriendRequestDto } from '../friends/dto/friend.dto.js';
import type { MessageDto } from '../messages/dto/message.dto.js';
import type { MessageSendAckDto } from '../messages/dto/socket-send.dto.js';
import type { ConversationReadEventDto, ConversationUpdatedEventDto, MessagesExpiredEventDto } from './dto/message-events.dto.js';
import type { UserSummaryDto } from '../users/dto/user.dto.js';
import type { BlockChangedEventDto } from './dto/contact-events.dto.js';
import type { PresenceEventDto } from './dto/presence-event.dto.js';
import type { TypingEventDto } from './dto/typing.dto.js';
import { sessionEnded } from './errors.js';
import { PresenceStore } from './presence-store.js';
import { type ServerEmits, type ServerEvents, sessionRoom, userRoom } from './realtime-events.js';

type EmittingServer = Server<DefaultEventsMap, ServerEmits>;
/** User ids of a conversation's members; null for an erased one. */
type Members = (string | null)[];

/** How two users stand, as the `typing` relay needs it. */
export interface PeerRelationship {
  friends: boolean;
  blockedByMe: boolean;
  blockedMe: boolean;
}

/** Verifies an access token and its session; throws the HttpException the client should see. */
export type AuthFn = (accessToken: string) => Promise<AuthUser & Pick<TokenClaims, 'tokenVersion'>>;
/** Which of these sessions are still open. */
export type OpenSessionsFn = (sessionIds: string[]) => Promise<Set<string>>;
/** The other member of a conversation the user is in (null once erased); throws the HttpException when they are not in it. */
export type PeerFn = (userId: string, conversationId: string) => Promise<string | null>;
export type RelationshipFn = (userId: string, otherId: string) => Promise<PeerRelationship>;
/** Who is told when this user comes online or goes offline. */
export type PresenceAudienceFn = (userId: string) => Promise<string[]>;
/** A `message.send` from a socket of this session: the answer for its acknowledgement, never a throw. */
/** `socketId`: the socket that will have the answer, which is therefore not sent the `message.created`. */
export type SendFn = (sender: TokenClaims, payload: unknown, socketId: string | undefined) => Promise<MessageSendAckDto>;

const unregistered = (what: string) => () => Promise.reject(new Error(`No module registered the realtime ${what} function`));

/**
 * Sends events to users' sockets on every instance. Services call it after their transaction has
 * committed. It never throws: a failed emit must not fail the REST call whose write already happened.
 *
 * The gateway's questions about users (is this token good, who is this user's peer, who are their
 * friends) are answered by functions the owning modules register here when they start, so that
 * realtime imports none of them while they import realtime to publish.
 */
@Injectable()
export class RealtimeService {
  private readonly logger = new Logger(RealtimeService.name);
  private server: EmittingServer | null = null;
  private authFn: AuthFn = unregistered('auth');
  private openSessionsFn: OpenSessionsFn = unregistered('open sessions');
  private peerFn: PeerFn = unregistered('peer');
  private relationshipFn: RelationshipFn = unregistered('relationship');
  private audienceFn: PresenceAudienceFn = unregistered('presence audience');
  private sendFn: SendFn = unregistered('send');

  constructor(private readonly presence: PresenceStore) {}

  /** Set by the gateway once Socket.IO runs; until then (and in the OpenAPI export) events go nowhere. */
  attach(server: Server | null): void {
    this.server = server as EmittingServer | null;
  }

  setAuthFn(authenticate: AuthFn, openSessionIds: OpenSessionsFn): void {
    this.authFn = authenticate;
    this.openSessionsFn = openSessionIds;
  }

  setPeerFn(peerOf: PeerFn): void {
    this.peerFn = peerOf;
  }

  setFriendsFn(relationship: RelationshipFn, presenceAudience: PresenceAudienceFn): void {
    this.relationshipFn = relationship;
    this.audienceFn = presenceAudience;
  }

  setSendFn(send: SendFn): void {
    this.sendFn = send;
  }

  authenticate(accessToken: string): Promise<AuthUser & Pick<TokenClaims, 'tokenVersion'>> {
    return this.authFn(accessToken);
  }

  openSessionIds(sessionIds: string[]): Promise<Set<string>> {
    return this.openSessionsFn(sessionIds);
  }

  peerOf(userId: string, conversationId: string): Promise<string | null> {
    return this.peerFn(userId, conversationId);
  }

  relationship(userId: string, otherId: string): Promise<PeerRelationship> {
    return this.relationshipFn(userId, otherId);
  }

  presenceAudience(userId: string): Promise<string[]> {
    return this.audienceFn(userId);
  }

  send(sender: TokenClaims, payload: unknown, socketId: string | undefined): Promise<MessageSendAckDto> {
    return this.sendFn(sender, payload, socketId);
  }

  /** Whether the user has a connected socket on any instance. */
  async isOnline(userId: string): Promise<boolean> {
    return (await this.presence.online([userId])).has(userId);
  }

  /**
   * To both members' sockets, except `senderSocketId` when it is a socket of the sender on this
   * instance: the client that sent the message has it from the answer. Any other id (someone else's
   * socket, one on another instance, a stale one) changes nothing, so no one can keep a message from
   * its recipient.
   */
  messageCreated(members: Members, message: MessageDto, senderSocketId?: string): void {
    const own = senderSocketId !== undefined && this.server?.of('/').sockets.get(senderSocketId)?.data?.userId === message.senderId;
    this.emit(members, 'message.created', message, own ? senderSocketId : undefined);
  }

  messageUpdated(members: Members, message: MessageDto): void {
    this.emit(members, 'message.updated', message);
  }

  /** `message` is the tombstone (`deleted: true`, `body: null`). */
  messageDeleted(members: Members, message: MessageDto): void {
    this.emit(members, 'message.deleted', message);
  }

  messagesExpired(members: Members, event: MessagesExpiredEventDto): void {
    this.emit(members, 'message.expired', event);
  }

  conversationRead(members: Members, event: ConversationReadEventDto): void {
    this.emit(members, 'conversation.read', event);
  }

  conversationUpdated(members: Members, event: ConversationUpdatedEventDto): void {
    this.emit(members, 'conversation.updated', event);
  }

  typing(peerId: string, event: TypingEventDto): void {
    this.emit([peerId], 'typing', event);
  }

  /** To the recipient, and to the sender's other devices. */
  friendRequest(request: FriendRequestDto): void {
    this.emit([request.from.id, request.to.id], 'friend.request', request);
  }

  /**
   * Each side gets the other as a `FriendDto` (`aSeesB.id` is B), then the presence of the other if
   * they are online, as friends get on connecting.
   */
  async friendAccepted(aSeesB: FriendDto, bSeesA: FriendDto): Promise<void> {
    const [a, b] = [bSeesA.id, aSeesB.id];
    this.emit([a], 'friend.accepted', aSeesB);
    this.emit([b], 'friend.accepted', bSeesA);
    const online = await this.presence.online([a, b]);
    if (online.has(b)) this.emit([a], 'presence', { userId: b, online: true });
    if (online.has(a)) this.emit([b], 'presence', { userId: a, online: true });
  }

  /** To both people: the friendship ended (each is told the other's id). */
  friendRemoved(a: string, b: string): void {
    this.emit([a], 'friend.removed', { userId: b });
    this.emit([b], 'friend.removed', { userId: a });
  }

  /** To both people of a request that is gone. */
  friendRequestRemoved(id: string, fromId: string, toId: string): void {
    this.emit([fromId], 'friend.request.removed', { id, userId: toId });
    this.emit([toId], 'friend.request.removed', { id, userId: fromId });
  }

  /** To the blocker's devices only: the blocked person is never told. */
  blockChanged(blockerId: string, event: BlockChangedEventDto): void {
    this.emit([blockerId], 'block.changed', event);
  }

  /** To `audience` (who may see the user: UsersService.profileAudience) and the user's own other devices. */
  userUpdated(audience: string[], user: UserSummaryDto): void {
    this.emit([...audience, user.id], 'user.updated', user);
  }

  userErased(audience: string[], userId: string): void {
    this.emit(audience, 'user.erased', { userId });
  }

  /** To the friends in `audience` (computed by the caller at emit time, blocks excluded). */
  presenceChanged(audience: string[], event: PresenceEventDto): void {
    this.emit(audience, 'presence', event);
  }

  /** Wakes these devices (sessions) so they fetch GET /api/e2ee/sync. */
  e2eeSync(sessionIds: string[]): void {
    const rooms = [...new Set(sessionIds)].map(sessionRoom);
    if (rooms.length === 0) return;
    this.attempt('e2ee.sync', (server) => server.to(rooms).emit('e2ee.sync', {}));
  }

  /** Tells the user's other sessions that they signed in somewhere new. */
  sessionStarted(userId: string, event: SessionCreatedEventDto): void {
    this.attempt('session.created', (server) => server.to(userRoom(userId)).except(sessionRoom(event.id)).emit('session.created', event));
  }

  /** Closes every socket of these sessions, on whichever instance, after telling them why. */
  endSessions(sessionIds: string[]): void {
    if (sessionIds.length === 0) return;
    this.attempt('end sessions', (server) => {
      const rooms = sessionIds.map(sessionRoom);
      server.to(rooms).emit('error', sessionEnded());
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
      target().emit('error', sessionEnded());
      target().disconnectSockets(true);
    });
  }

  /** To every socket of these users on every instance, but the socket `exceptSocketId` (every socket is in the room of its id). */
  private emit<E extends keyof ServerEvents>(userIds: (string | null)[], event: E, payload: ServerEvents[E], exceptSocketId?: string): void {
    const rooms = [...new Set(userIds.filter((id): id is string => id !== null))].map(userRoom);
    if (rooms.length === 0) return;
    this.attempt(event, (server) => {
      const target = exceptSocketId ? server.to(rooms).except(exceptSocketId) : server.to(rooms);
      target.emit(event, ...([payload] as Parameters<ServerEmits[E]>));
    });
  }

  private attempt(what: string, work: (server: EmittingServer) => void): void {
    if (!this.server) return;
    try {
      work(this.server);
    } catch (error) {
      this.logger.error(`Could not send ${what}: ${(error as Error).message}`);
    }
  }
}
