import { BadRequestException, ParseUUIDPipe } from '@nestjs/common';

/** Route ids are UUIDs; anything else is a 400 with a stable code, not a database error. */
export const ParseIdPipe = new ParseUUIDPipe({
  exceptionFactory: () => invalidId('The id in the path must be a UUID'),
});

export const invalidId = (message: string) => new BadRequestException({ code: 'INVALID_ID', message });

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `value` is a UUID as PostgreSQL reads one, in its canonical text form. */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}
