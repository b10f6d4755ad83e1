import { ConflictException } from '@nestjs/common';

export type PrivacyErrorCode = 'LAST_ADMIN';

export const lastAdmin = () =>
  new ConflictException({ code: 'LAST_ADMIN', message: 'The last administrator cannot be erased; make another admin first' });
