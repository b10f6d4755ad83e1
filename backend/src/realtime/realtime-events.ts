/** Names of the events the server sends; the README lists each with its payload DTO. */
export const ServerEvent = {
  Ready: 'ready',
  Error: 'error',
  MessageCreated: 'message.created',
  MessageUpdated: 'message.updated',
  MessageDeleted: 'message.deleted',
  MessageExpired: 'message.expired',
  ConversationRead: 'conversation.read',
  ConversationUpdated: 'conversation.updated',
  Typing: 'typing',
  FriendRequest: 'friend.request',
  FriendAccepted: 'friend.accepted',
  Presence: 'presence',
} as const;

/** Events a client may send. */
export const ClientEvent = {
  Typing: 'typing',
} as const;

export const SOCKET_PATH = '/socket.io';

/** Every socket of a user is in its user room; events for that user go there, on whichever instance. */
export const userRoom = (userId: string) => `user:${userId}`;
/** Every socket is also in the room of its session, so ending one session closes just its sockets. */
export const sessionRoom = (sessionId: string) => `session:${sessionId}`;
