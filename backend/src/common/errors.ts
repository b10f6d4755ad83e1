import { BadRequestException, ServiceUnavailableException } from '@nestjs/common';

export type CommonErrorCode = 'VALIDATION_FAILED' | 'INVALID_ID' | 'INVALID_CURSOR' | 'DATABASE_UNAVAILABLE';

export const validationFailed = (message: string | string[], details?: object) =>
  new BadRequestException({ code: 'VALIDATION_FAILED', message, ...details });
export const databaseUnavailable = (message = 'The database is not answering') =>
  new ServiceUnavailableException({ code: 'DATABASE_UNAVAILABLE', message });
