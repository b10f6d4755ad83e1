import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { ApiErrorDto, FieldErrorDto } from './api-error.dto.js';
import { defaultErrorCode } from './error-codes.js';
import { RateLimitedException } from './rate-limit.guard.js';

interface HttpExceptionBody {
  message?: string | string[];
  code?: string;
  details?: FieldErrorDto[];
}

/** What a retryable 503 (or a 429 without its own reset time) tells the client to wait. */
export const RETRY_AFTER_UNAVAILABLE_SECONDS = 2;

/** Turns any thrown value into the documented error shape; never leaks a stack trace or SQL. */
export function toApiError(exception: unknown, requestId?: string): ApiErrorDto {
  const race = databaseRace(exception);
  if (race) return { statusCode: race.status, error: STATUS_CODES[race.status]!, message: race.message, code: race.code, requestId };
  const status = statusOf(exception);
  const error = STATUS_CODES[status] ?? 'Error';
  const body = exception instanceof HttpException ? exception.getResponse() : undefined;
  const fields: HttpExceptionBody = typeof body === 'object' && body !== null ? (body as HttpExceptionBody) : {};
  // A 5xx says nothing about its cause unless the code threw it on purpose with a documented code.
  if (status >= 500 && !fields.code) {
    return { statusCode: status, error, message: 'Something went wrong on our side', code: 'INTERNAL_ERROR', requestId };
  }
  const rawMessage = typeof body === 'string' ? body : fields.message;
  const message = Array.isArray(rawMessage)
    ? rawMessage.join('; ')
    : (rawMessage ?? (exception as Error)?.message ?? error);
  return {
    statusCode: status,
    error,
    message,
    code: fields.code ?? fastifyCode(exception) ?? defaultErrorCode(status),
    ...(fields.details ? { details: fields.details } : {}),
    requestId,
  };
}

/**
 * Database errors that only a concurrent request can cause: a row this one refers to was deleted as
 * it ran (an account erased, a message removed), or PostgreSQL chose it as a deadlock victim. Clients
 * get a clear 4xx or a retryable 503 instead of an internal error.
 */
function databaseRace(exception: unknown): { status: number; code: string; message: string } | null {
  // Duck-typed: errors from node:net may come from another realm (Jest's VM modules), where instanceof fails.
  if (exception instanceof HttpException || typeof exception !== 'object' || exception === null) return null;
  const code = (exception as { code?: unknown }).code ?? (exception as { driverError?: { code?: unknown } }).driverError?.code;
  if (code === '23503') return { status: HttpStatus.NOT_FOUND, code: 'NOT_FOUND', message: 'Something this request refers to no longer exists' };
  if (code === '40P01' || code === '40001') {
    return { status: HttpStatus.SERVICE_UNAVAILABLE, code: 'TRY_AGAIN', message: 'The request collided with another one; try again' };
  }
  if (isDatabaseUnavailable(exception)) {
    return { status: HttpStatus.SERVICE_UNAVAILABLE, code: 'DATABASE_UNAVAILABLE', message: 'The database is not answering; try again shortly' };
  }
  return null;
}

const CONNECTION_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
// pg reports a dropped connection or a pool timeout in words only.
const CONNECTION_ERROR_MESSAGE =
  /Connection terminated|Connection ended unexpectedly|connection timeout|timeout exceeded when trying to connect|not queryable|Client was closed/i;

/**
 * The database cannot be reached or dropped the connection (a restart, a failover, a network cut):
 * nothing the client did, and worth retrying. 57P01-57P03: the server is shutting down or starting;
 * 53300: too many connections; class 08: connection exceptions.
 */
function isDatabaseUnavailable(exception: object): boolean {
  const candidates: unknown[] = [exception, (exception as { driverError?: unknown }).driverError, (exception as { cause?: unknown }).cause];
  const inner = (exception as { errors?: unknown }).errors;
  if (Array.isArray(inner)) candidates.push(...inner);
  return candidates.some((error) => {
    if (typeof error !== 'object' || error === null) return false;
    const { code, message } = error as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (CONNECTION_ERROR_CODES.has(code) || /^(57P0[123]|53300|08...)$/.test(code))) return true;
    return typeof message === 'string' && CONNECTION_ERROR_MESSAGE.test(message);
  });
}

function statusOf(exception: unknown): number {
  return exception instanceof HttpException ? exception.getStatus() : HttpStatus.INTERNAL_SERVER_ERROR;
}

const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
};

/** Nest wraps Fastify's own errors (bad JSON, wrong content type) in an HttpException with the original as cause. */
function fastifyCode(exception: unknown): string | undefined {
  const original = exception instanceof HttpException ? exception.cause : exception;
  const code = (original as { code?: unknown })?.code;
  return typeof code === 'string' ? FASTIFY_CODES[code] : undefined;
}

/** Enough to debug, without the query parameters a database error carries (hashes, tokens, message text). */
function loggable(exception: unknown): Record<string, unknown> {
  if (!(exception instanceof Error)) return { value: String(exception) };
  const { name, message, stack } = exception;
  const code = (exception as { code?: unknown }).code ?? (exception as { driverError?: { code?: unknown } }).driverError?.code;
  return { name, message, stack, ...(code !== undefined ? { code } : {}) };
}

@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const body = toApiError(exception, request.id);
    if (body.statusCode >= 500) request.log.error({ err: loggable(exception) }, 'unhandled error');
    const reply = http.getResponse<FastifyReply>();
    if (exception instanceof RateLimitedException) void reply.header('retry-after', String(exception.retryAfterSeconds));
    const comeBack = body.statusCode === HttpStatus.SERVICE_UNAVAILABLE || body.statusCode === HttpStatus.TOO_MANY_REQUESTS;
    if (comeBack && !reply.hasHeader('retry-after')) void reply.header('retry-after', String(RETRY_AFTER_UNAVAILABLE_SECONDS));
    void reply.status(body.statusCode).send(body);
  }
}
