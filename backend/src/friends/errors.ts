import { BadRequestException, ConflictException, ForbiddenException, NotFoundException } from '@nestjs/common';

export type FriendsErrorCode =
  | 'FRIEND_REQUEST_NOT_FOUND'
  | 'NOT_FRIENDS'
  | 'CANNOT_FRIEND_SELF'
  | 'USER_BLOCKED'
  | 'ALREADY_FRIENDS'
  | 'REQUEST_ALREADY_SENT'
  | 'CANNOT_BLOCK_SELF';

export const friendRequestNotFound = () => new NotFoundException({ code: 'FRIEND_REQUEST_NOT_FOUND', message: 'Friend request not found' });
export const notFriendsWith = () => new NotFoundException({ code: 'NOT_FRIENDS', message: 'You are not friends with this user' });
export const cannotFriendSelf = () =>
  new BadRequestException({ code: 'CANNOT_FRIEND_SELF', message: 'You cannot send a friend request to yourself' });
export const userBlocked = () => new ForbiddenException({ code: 'USER_BLOCKED', message: 'You blocked this user; unblock them first' });
export const alreadyFriends = () => new ConflictException({ code: 'ALREADY_FRIENDS', message: 'You are already friends' });
export const requestAlreadySent = () => new ConflictException({ code: 'REQUEST_ALREADY_SENT', message: 'You already sent this user a request' });
export const cannotBlockSelf = () => new BadRequestException({ code: 'CANNOT_BLOCK_SELF', message: 'You cannot block yourself' });
