import { ConflictException, ForbiddenException, NotFoundException } from '@nestjs/common';

export type MessagesErrorCode = 'MESSAGE_NOT_FOUND' | 'NOT_MESSAGE_SENDER' | 'MESSAGE_NOT_EDITABLE' | 'CLIENT_ID_CONFLICT';

export const messageNotFound = () => new NotFoundException({ code: 'MESSAGE_NOT_FOUND', message: 'Message not found' });
export const notYours = () => new ForbiddenException({ code: 'NOT_MESSAGE_SENDER', message: 'Only the sender can change a message' });
export const notEditable = () => new ConflictException({ code: 'MESSAGE_NOT_EDITABLE', message: 'A deleted message cannot be edited' });
export const clientIdConflict = () =>
  new ConflictException({ code: 'CLIENT_ID_CONFLICT', message: 'This clientId was already used for another message' });
