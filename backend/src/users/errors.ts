import { ConflictException, NotFoundException } from '@nestjs/common';

export type UsersErrorCode = 'USER_NOT_FOUND' | 'USERNAME_TAKEN' | 'AVATAR_NOT_FOUND';

export const userNotFound = () => new NotFoundException({ code: 'USER_NOT_FOUND', message: 'User not found' });
export const usernameTaken = () => new ConflictException({ code: 'USERNAME_TAKEN', message: 'That username is already taken' });
/** No picture, or not one the caller may see: the same answer, so it tells nothing. */
export const avatarNotFound = () => new NotFoundException({ code: 'AVATAR_NOT_FOUND', message: 'No profile picture' });
