import type { SessionCreatedEventDto } from '../auth/dto/session.dto.js';
import type { EncryptionSyncEventDto } from '../e2ee/dto/to-device.dto.js';
import type { FriendDto, FriendRequestDto } from '../friends/dto/friend.dto.js';
import type { MessageDto } from '../messages/dto/message.dto.js';
import type { SocketSendMessageDto } from '../messages/dto/socket-send.dto.js';
import type { ConversationReadEventDto, ConversationUpdatedEventDto, MessagesExpiredEventDto } from './dto/message-events.dto.js';
import type { UserSummaryDto } from '../users/dto/user.dto.js';
import type { BlockChangedEventDto, FriendRemovedEventDto, FriendRequestRemovedEventDto, UserErasedEventDto } from './dto/contact-events.dto.js';
import type { PresenceEventDto } from './dto/presence-event.dto.js';
import type { ReadyEventDto, SocketErrorDto } from './dto/socket-events.dto.js';
import type { TypingDto, TypingEventDto } from './dto/typing.dto.js';

/**
 * Every event the server sends, by name, with its payload. The only list of them: the web client's
 * event types are generated from it by `npm run sdk`, so each payload must be a schema in openapi.json.
 */
export interface ServerEvents {
  /** Once per connection, after the socket joined its rooms and got the presence of online friends. */
  ready: ReadyEventDto;
  /** A refused client event, or the reason the server is about to close the socket. */
  error: SocketErrorDto;
  'message.created': MessageDto;
  'message.updated': MessageDto;
  /** The tombstone (`deleted: true`, `body: null`). */
  'message.deleted': MessageDto;
  'message.expired': MessagesExpiredEventDto;
  'conversation.read': ConversationReadEventDto;
  'conversation.updated': ConversationUpdatedEventDto;
  typing: TypingEventDto;
  'friend.request': FriendRequestDto;
  /** Each side gets the other as a friend. */
  'friend.accepted': FriendDto;
  'friend.removed': FriendRemovedEventDto;
  'friend.request.removed': FriendRequestRemovedEventDto;
  /** To the blocker's own devices only. */
  'block.changed': BlockChangedEventDto;
  /** A contact's new display name, status or profile picture; sent to those who may see their picture. */
  'user.updated': UserSummaryDto;
  'user.erased': UserErasedEventDto;
  presence: PresenceEventDto;
  /** The user signed in on another device; sent to their other sessions. */
  'session.created': SessionCreatedEventDto;
  /** Something waits for this device (to-device messages, device-list changes): GET /api/e2ee/sync. Sent to one session only. */
  'e2ee.sync': EncryptionSyncEventDto;
}

/** Every event a client may send, with its payload; each is acknowledged with a `SocketAckDto`, `message.send` with a `MessageSendAckDto`. */
export interface ClientEvents {
  typing: TypingDto;
  /** Sends a message, as `POST /api/conversations/{id}/messages` does; the acknowledgement brings it, and this socket gets no `message.created` for it. */
  'message.send': SocketSendMessageDto;
}

/** The names of ClientEvents at run time, to refuse any other; a Record, so the compiler keeps it complete. */
export const CLIENT_EVENT_NAMES = Object.keys({ typing: true, 'message.send': true } satisfies Record<keyof ClientEvents, true>) as (keyof ClientEvents)[];

/** What a socket can be sent, in the shape Socket.IO's typed `emit` wants. */
export type ServerEmits = { [E in keyof ServerEvents]: (payload: ServerEvents[E]) => void };

export const SOCKET_PATH = '/socket.io';

/** Every socket of a user is in its user room; events for that user go there, on whichever instance. */
export const userRoom = (userId: string) => `user:${userId}`;
/** Every socket is also in the room of its session, so ending one session closes just its sockets. */
export const sessionRoom = (sessionId: string) => `session:${sessionId}`;
