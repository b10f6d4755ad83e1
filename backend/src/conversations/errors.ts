import { BadRequestException, ForbiddenException, NotFoundException } from '@nestjs/common';

export type ConversationsErrorCode =
  | 'CONVERSATION_NOT_FOUND'
  | 'PEER_GONE'
  | 'BLOCKED'
  | 'NOT_FRIENDS'
  | 'CANNOT_CHAT_WITH_SELF'
  | 'ENCRYPTION_IRREVERSIBLE';

export const conversationNotFound = () => new NotFoundException({ code: 'CONVERSATION_NOT_FOUND', message: 'Conversation not found' });
export const peerGone = () => new ForbiddenException({ code: 'PEER_GONE', message: 'The other account no longer exists' });
export const blocked = () => new ForbiddenException({ code: 'BLOCKED', message: 'This conversation is read-only because of a block' });
export const notFriends = () => new ForbiddenException({ code: 'NOT_FRIENDS', message: 'You can only message friends' });
export const cannotChatWithSelf = () =>
  new BadRequestException({ code: 'CANNOT_CHAT_WITH_SELF', message: 'You cannot start a conversation with yourself' });

export const encryptionIrreversible = () =>
  new BadRequestException({ code: 'ENCRYPTION_IRREVERSIBLE', message: 'End-to-end encryption cannot be turned off once it is on' });

/** The error for what `write_refusal` answered. */
export function writeRefused(refusal: 'PEER_GONE' | 'BLOCKED' | 'NOT_FRIENDS'): ForbiddenException {
  switch (refusal) {
    case 'PEER_GONE':
      return peerGone();
    case 'BLOCKED':
      return blocked();
    case 'NOT_FRIENDS':
      return notFriends();
  }
}
