import { BadRequestException, ConflictException, ForbiddenException, NotFoundException, PayloadTooLargeException } from '@nestjs/common';

export type MessagesErrorCode =
  | 'MESSAGE_NOT_FOUND'
  | 'NOT_MESSAGE_SENDER'
  | 'MESSAGE_NOT_EDITABLE'
  | 'CLIENT_ID_CONFLICT'
  | 'ENCRYPTION_MISMATCH'
  | 'RELATED_MESSAGE_NOT_FOUND'
  | 'CIPHERTEXT_TOO_LARGE';

export const messageNotFound = () => new NotFoundException({ code: 'MESSAGE_NOT_FOUND', message: 'Message not found' });
export const notYours = () => new ForbiddenException({ code: 'NOT_MESSAGE_SENDER', message: 'Only the sender can change a message' });
export const notEditable = () => new ConflictException({ code: 'MESSAGE_NOT_EDITABLE', message: 'A deleted message cannot be edited' });
export const clientIdConflict = () =>
  new ConflictException({ code: 'CLIENT_ID_CONFLICT', message: 'This clientId was already used for another message' });
export const encryptionMismatch = () =>
  new BadRequestException({
    code: 'ENCRYPTION_MISMATCH',
    message: 'An encrypted conversation takes a ciphertext and encrypted attachments only; a plaintext one never does',
  });
export const relatedMessageNotFound = () =>
  new BadRequestException({ code: 'RELATED_MESSAGE_NOT_FOUND', message: 'relatesTo must be a message of this conversation that is still there' });
export const ciphertextTooLarge = (maxBytes: number) =>
  new PayloadTooLargeException({ code: 'CIPHERTEXT_TOO_LARGE', message: `The ciphertext may be at most ${maxBytes} bytes as JSON` });
