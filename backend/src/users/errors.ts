import { ConflictException, NotFoundException } from '@nestjs/common';

export type UsersErrorCode = 'USER_NOT_FOUND' | 'USERNAME_TAKEN';

export const userNotFound = () => new NotFoundException({ code: 'USER_NOT_FOUND', message: 'User not found' });
export const usernameTaken = () => new ConflictException({ code: 'USERNAME_TAKEN', message: 'That username is already taken' });
