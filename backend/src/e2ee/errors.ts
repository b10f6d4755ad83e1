import { BadRequestException, ConflictException, ForbiddenException, NotFoundException, PayloadTooLargeException } from '@nestjs/common';

export type E2eeErrorCode =
  | 'INVALID_KEYS'
  | 'DEVICE_KEYS_NOT_OWN'
  | 'DEVICE_KEYS_IMMUTABLE'
  | 'TOO_MANY_ONE_TIME_KEYS'
  | 'ONE_TIME_KEYS_FULL'
  | 'TOO_MANY_USERS'
  | 'TOO_MANY_TARGETS'
  | 'INVALID_TO_DEVICE'
  | 'RECIPIENT_NOT_ALLOWED'
  | 'TO_DEVICE_TOO_LARGE'
  | 'INVALID_SINCE'
  | 'INVALID_CROSS_SIGNING_KEY'
  | 'INVALID_SIGNATURE'
  | 'INVALID_BACKUP'
  | 'BACKUP_NOT_FOUND'
  | 'WRONG_BACKUP_VERSION'
  | 'BACKUP_FULL'
  | 'PASSWORD_REQUIRED';

const bad = (code: E2eeErrorCode, message: string) => new BadRequestException({ code, message });

export const invalidKeys = (message: string) => bad('INVALID_KEYS', message);
export const deviceKeysNotOwn = () =>
  new ForbiddenException({ code: 'DEVICE_KEYS_NOT_OWN', message: 'Device keys must be those of the calling user and device' });
export const deviceKeysImmutable = () =>
  new ConflictException({ code: 'DEVICE_KEYS_IMMUTABLE', message: 'This device already has other keys; sign in again for a new device' });
export const tooManyOneTimeKeys = (max: number) => bad('TOO_MANY_ONE_TIME_KEYS', `At most ${max} one-time keys per upload`);
export const oneTimeKeysFull = (max: number) =>
  new ConflictException({ code: 'ONE_TIME_KEYS_FULL', message: `A device holds at most ${max} unclaimed one-time keys` });
export const tooManyUsers = (max: number) => bad('TOO_MANY_USERS', `At most ${max} users per request`);
export const tooManyTargets = (max: number) => bad('TOO_MANY_TARGETS', `At most ${max} devices per request`);
export const invalidToDevice = (message: string) => bad('INVALID_TO_DEVICE', message);
export const recipientNotAllowed = () =>
  new ForbiddenException({ code: 'RECIPIENT_NOT_ALLOWED', message: 'To-device messages go only to your own devices and to people you may write to' });
export const toDeviceTooLarge = (max: number) =>
  new PayloadTooLargeException({ code: 'TO_DEVICE_TOO_LARGE', message: `Each to-device payload is at most ${max} bytes` });
export const invalidSince = () => bad('INVALID_SINCE', 'The since token is not one this server issued');
export const invalidCrossSigningKey = (message: string) => bad('INVALID_CROSS_SIGNING_KEY', message);
export const invalidSignature = (message: string) => bad('INVALID_SIGNATURE', message);
export const invalidBackup = (message: string) => bad('INVALID_BACKUP', message);
export const backupNotFound = () => new NotFoundException({ code: 'BACKUP_NOT_FOUND', message: 'No such key backup' });
export const wrongBackupVersion = () =>
  new ForbiddenException({ code: 'WRONG_BACKUP_VERSION', message: 'Keys go only to the current backup' });
export const backupFull = (message: string) => new ConflictException({ code: 'BACKUP_FULL', message });
/** 400, not 401: a 401 would end the client's session, and the session is fine. */
export const passwordRequired = () =>
  bad('PASSWORD_REQUIRED', 'Replacing your published cross-signing keys (an identity reset) needs your current password in auth.password');
