import {
  BadRequestException,
  ConflictException,
  HttpException,
  HttpStatus,
  InternalServerErrorException,
  NotFoundException,
  ServiceUnavailableException,
} from '@nestjs/common';
import { toApiError } from './all-exceptions.filter.js';

describe('toApiError', () => {
  it('keeps the code and message an HttpException was thrown with', () => {
    const error = new ConflictException({ code: 'USERNAME_TAKEN', message: 'That username is already taken' });

    expect(toApiError(error, 'req-1')).toEqual({
      statusCode: 409,
      error: 'Conflict',
      message: 'That username is already taken',
      code: 'USERNAME_TAKEN',
      requestId: 'req-1',
    });
  });

  it('gives a plain NotFoundException the code NOT_FOUND', () => {
    expect(toApiError(new NotFoundException())).toMatchObject({ statusCode: 404, error: 'Not Found', code: 'NOT_FOUND' });
  });

  it('uses a string response as the message', () => {
    expect(toApiError(new BadRequestException('Bad page size'))).toMatchObject({
      statusCode: 400,
      message: 'Bad page size',
      code: 'BAD_REQUEST',
    });
  });

  it('joins a list of messages into one', () => {
    const error = new BadRequestException({ message: ['a is wrong', 'b is wrong'] });

    expect(toApiError(error).message).toBe('a is wrong; b is wrong');
  });

  it('turns an error that is not an HttpException into a 500 that leaks nothing', () => {
    const error = new Error('relation "users" does not exist at /srv/iris/dist/users.service.js:42');

    const body = toApiError(error, 'req-2');

    expect(body).toEqual({
      statusCode: 500,
      error: 'Internal Server Error',
      message: 'Something went wrong on our side',
      code: 'INTERNAL_ERROR',
      requestId: 'req-2',
    });
    expect(JSON.stringify(body)).not.toContain('relation');
    expect(JSON.stringify(body)).not.toContain('/srv/iris');
  });

  it('turns a foreign-key violation (a row deleted by a concurrent request) into 404 NOT_FOUND without SQL', () => {
    const error = Object.assign(new Error('insert or update on table "friend_requests" violates foreign key constraint "FK_x"'), { code: '23503' });

    expect(toApiError(error, 'r1')).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'Something this request refers to no longer exists',
      code: 'NOT_FOUND',
      requestId: 'r1',
    });
  });

  it('turns a deadlock or serialization failure, also wrapped by TypeORM, into a retryable 503 TRY_AGAIN', () => {
    const deadlock = Object.assign(new Error('deadlock detected'), { driverError: { code: '40P01' } });
    const serialization = Object.assign(new Error('could not serialize access'), { code: '40001' });

    for (const error of [deadlock, serialization]) {
      expect(toApiError(error)).toMatchObject({ statusCode: 503, code: 'TRY_AGAIN' });
      expect(toApiError(error).message).not.toContain('deadlock');
    }
  });

  it('turns a thrown non-Error into a 500', () => {
    expect(toApiError('boom')).toMatchObject({ statusCode: 500, code: 'INTERNAL_ERROR' });
    expect(toApiError(undefined)).toMatchObject({ statusCode: 500, code: 'INTERNAL_ERROR' });
  });

  it('does not leak the message of an InternalServerErrorException', () => {
    const body = toApiError(new InternalServerErrorException('password for user "iris" failed'));

    expect(body).toMatchObject({ statusCode: 500, code: 'INTERNAL_ERROR', message: 'Something went wrong on our side' });
  });

  it('keeps the documented code of a deliberate 5xx such as the health check answering 503', () => {
    const error = new ServiceUnavailableException({ code: 'DATABASE_UNAVAILABLE', message: 'The database is not answering' });

    expect(toApiError(error)).toMatchObject({ statusCode: 503, code: 'DATABASE_UNAVAILABLE' });
  });

  it.each([
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['a dropped connection (TypeORM)', Object.assign(new Error('Connection terminated unexpectedly'), { name: 'QueryFailedError', driverError: new Error('Connection terminated unexpectedly') })],
    ['a server shutting down', Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })],
    ['a pool timeout', new Error('timeout exceeded when trying to connect')],
    ['an error from another realm', { name: 'Error', message: 'connect ECONNREFUSED ::1:5432', code: 'ECONNREFUSED' }],
  ])('answers 503 DATABASE_UNAVAILABLE, saying nothing of the cause, to %s', (_case, error) => {
    expect(toApiError(error)).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      code: 'DATABASE_UNAVAILABLE',
      message: 'The database is not answering; try again shortly',
      requestId: undefined,
    });
  });

  it('keeps an unknown error that mentions a connection in passing a 500', () => {
    expect(toApiError(new Error('ECONNREFUSED is a word'))).toMatchObject({ statusCode: 500, code: 'INTERNAL_ERROR' });
  });

  it('maps the Fastify error that caused an HttpException to a stable code', () => {
    const cause = Object.assign(new Error('Body is not valid JSON'), { code: 'FST_ERR_CTP_INVALID_JSON_BODY' });
    const error = new HttpException('Body is not valid JSON', HttpStatus.BAD_REQUEST, { cause });

    expect(toApiError(error)).toMatchObject({ statusCode: 400, code: 'INVALID_JSON', message: 'Body is not valid JSON' });
  });

  it('prefers an explicit code over the one of the cause', () => {
    const cause = Object.assign(new Error('x'), { code: 'FST_ERR_CTP_INVALID_JSON_BODY' });
    const error = new BadRequestException({ code: 'VALIDATION_FAILED', message: 'Invalid input' }, { cause });

    expect(toApiError(error).code).toBe('VALIDATION_FAILED');
  });

  it('passes field details through', () => {
    const details = [{ field: 'username', messages: ['username must be 3–32 characters long'] }];
    const error = new BadRequestException({ code: 'VALIDATION_FAILED', message: 'Invalid input', details });

    expect(toApiError(error)).toMatchObject({ code: 'VALIDATION_FAILED', details });
  });

  it('sends no details key when there are none', () => {
    expect(toApiError(new NotFoundException())).not.toHaveProperty('details');
  });
});
