import fastifyCookie from '@fastify/cookie';
import fastifyMultipart from '@fastify/multipart';
import { BadRequestException } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import helmet from 'helmet';
import { randomUUID } from 'node:crypto';
import { type IncomingMessage, STATUS_CODES } from 'node:http';
import { createValidationPipe } from './common/validation.js';
import type { AppConfig } from './config/app-config.js';
import { FriendDto, FriendRequestDto } from './friends/dto/friend.dto.js';
import { MessageDto } from './messages/dto/message.dto.js';
import { ConversationReadEventDto, ConversationUpdatedEventDto, MessagesExpiredEventDto } from './realtime/dto/message-events.dto.js';
import { PresenceEventDto } from './realtime/dto/presence-event.dto.js';
import { ReadyEventDto, SocketAckDto, SocketErrorDto } from './realtime/dto/socket-events.dto.js';
import { EncryptionSyncEventDto } from './e2ee/dto/to-device.dto.js';
import { TypingDto, TypingEventDto } from './realtime/dto/typing.dto.js';
import { RealtimeIoAdapter } from './realtime/realtime-io.adapter.js';
import { validationFailed } from './common/errors.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Largest JSON body. The biggest legitimate one is an encrypted message: a ciphertext of up to 64 KiB
 * (MAX_CIPHERTEXT_BYTES) with its clientId, relatesTo and attachment ids; uploads are multipart and
 * have their own limit.
 */
export const MAX_JSON_BODY_BYTES = 72 * 1024;

/**
 * The Content-Security-Policy of everything the server answers: the web client (no inline scripts, media
 * from blob: URLs, the socket over ws:/wss:, WebAssembly for the end-to-end encryption library and its
 * own worker for file encryption), Swagger UI (external scripts, inline styles) and the API.
 * `'wasm-unsafe-eval'` allows compiling WebAssembly only, not `eval()` of JavaScript.
 */
export const CONTENT_SECURITY_POLICY: Record<string, string[]> = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'", "'wasm-unsafe-eval'"],
  workerSrc: ["'self'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'blob:', 'data:'],
  mediaSrc: ["'self'", 'blob:'],
  connectSrc: ["'self'", 'ws:', 'wss:'],
  fontSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  frameAncestors: ["'none'"],
  formAction: ["'self'"],
};

/**
 * Options for NestFactory.create / createNestApplication. Nest's own body parsers are off: Fastify's
 * JSON parser is all the API needs, and form bodies (which browsers send cross-site) are refused.
 */
export const APP_OPTIONS = { bodyParser: false } as const;

/** Fastify with request ids (a well-formed incoming `x-request-id` is kept) and JSON logs carrying them. */
export function createFastifyAdapter(config: AppConfig): FastifyAdapter {
  return new FastifyAdapter({
    logger:
      config.LOG_LEVEL === 'silent'
        ? false
        : {
            level: config.LOG_LEVEL,
            // Query strings carry search terms and cursors (usernames): keep them out of the log.
            serializers: { req: (req: { method: string; url: string; id: string }) => ({ method: req.method, url: req.url.split('?')[0], id: req.id }) },
          },
    trustProxy: config.TRUST_PROXY,
    // Fastify has no default: a client that stalls mid-request would hold its socket (and an upload's
    // temporary file) forever. Ten minutes lets a large upload through on a slow line.
    requestTimeout: 600_000,
    bodyLimit: MAX_JSON_BODY_BYTES,
    // Errors Fastify answers before routing (a malformed percent-encoding, an over-long id) get the
    // API's error shape too, without echoing the URL back.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const statusCode = error.statusCode ?? 400;
      const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
      void reply
        .code(statusCode)
        .header('cache-control', 'no-store')
        .send({
          statusCode,
          error: STATUS_CODES[statusCode] ?? 'Error',
          message: tooLong ? 'A part of the URL is too long' : 'The URL is not valid',
          code: tooLong ? 'URL_TOO_LONG' : 'INVALID_URL',
          requestId: request.id,
        });
    },
    requestIdHeader: false,
    genReqId: (req: IncomingMessage) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
  });
}

/** Everything an Iris app needs besides its modules; shared by main, the tests and the OpenAPI export. */
export async function configureApp(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();
  // Built once: @fastify/helmet builds helmet's middleware again on every request, though the headers
  // are the same on every answer, errors and 404s included.
  const securityHeaders = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
    // HSTS only where the cookie is Secure, i.e. behind HTTPS: over plain http it would lock a dev box out.
    strictTransportSecurity: config.cookieSecure ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  });
  fastify.addHook('onRequest', (request, reply, done) => securityHeaders(request.raw, reply.raw, (error?: unknown) => done(error as Error | undefined)));
  if (config.corsOrigins.length > 0) {
    app.enableCors({
      origin: config.corsOrigins,
      credentials: true,
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type', 'Range', 'If-None-Match', 'X-Request-Id'],
      exposedHeaders: ['Retry-After', 'X-Request-Id', 'Content-Disposition', 'Content-Range', 'Accept-Ranges', 'ETag'],
      maxAge: 600,
    });
  }
  await app.register(fastifyCookie);
  // Uploads only; the handler streams the one file part and sets the per-request limits.
  await app.register(fastifyMultipart, { throwFileSizeLimit: true, limits: { fileSize: config.maxUploadBytes, files: 1, fields: 0, parts: 1 } });
  fastify.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
    // API answers carry personal data: no cache may keep them unless the route chose a policy itself.
    if (request.url.startsWith('/api/') && !reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
  });
  // The API speaks JSON only: any other body is a 415 rather than a string for the validators to trip on.
  fastify.removeContentTypeParser('text/plain');
  // PostgreSQL cannot store U+0000 in text; refuse it up front for every route instead of failing in SQL.
  fastify.addHook('preValidation', async (request) => {
    checkInput([request.body, request.query, request.params]);
  });

  app.setGlobalPrefix('api');
  app.useGlobalPipes(createValidationPipe());
  app.useWebSocketAdapter(new RealtimeIoAdapter(app, config));
  app.enableShutdownHooks();

  if (config.swaggerEnabled) {
    SwaggerModule.setup('apidocs', app, createOpenApiDocument(app), {
      jsonDocumentUrl: 'apidocs-json',
      customSiteTitle: 'Iris API',
    });
  }
}

const MAX_INPUT_DEPTH = 32;

/** Walks the input without recursion, so hostile nesting cannot exhaust the stack. */
function checkInput(input: unknown): void {
  const pending: [unknown, number][] = [[input, 0]];
  while (pending.length > 0) {
    const [value, depth] = pending.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) {
        throw new BadRequestException({ code: 'INVALID_CHARACTERS', message: 'Text must not contain the NUL character (U+0000)' });
      }
    } else if (value !== null && typeof value === 'object') {
      if (depth >= MAX_INPUT_DEPTH) {
        throw validationFailed(`Input is nested more than ${MAX_INPUT_DEPTH} levels deep`);
      }
      for (const [key, item] of Object.entries(value)) pending.push([key, depth + 1], [item, depth + 1]);
    }
  }
}

// The events are not listed here: ServerEvents and ClientEvents in realtime/realtime-events.ts are their
// only list, and `npm run sdk` turns it into the web client's realtime-events.ts.
const REALTIME_DESCRIPTION =
  'Real time: Socket.IO at `/socket.io`, connecting with `auth: { token: <accessToken> }`. Each event carries one of the ' +
  'schemas below as its payload (`ready`: ReadyEventDto, `message.created`: MessageDto, `error`: SocketErrorDto, …); the ' +
  'full map of event names to payloads is ServerEvents and ClientEvents in the backend file src/realtime/realtime-events.ts ' +
  'and in the generated SDK. Client events are acknowledged with SocketAckDto.';

export function createOpenApiDocument(app: NestFastifyApplication): OpenAPIObject {
  const document = new DocumentBuilder()
    .setTitle('Iris API')
    .setDescription(
      'Private 1-to-1 messaging. Errors always have the shape `ApiErrorDto` with a stable `code`. ' +
        'Lists are cursor-paginated: pass `nextCursor` back as `cursor` (message history: as `before` or `after`). ' +
        REALTIME_DESCRIPTION,
    )
    .setVersion('0.1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .build();
  return SwaggerModule.createDocument(app, document, {
    // Socket.IO payloads are not returned by any route; listed so the generated SDK has their types
    // (`npm run sdk` fails when a payload in realtime-events.ts is missing here).
    extraModels: [
      ReadyEventDto,
      MessagesExpiredEventDto,
      ConversationReadEventDto,
      ConversationUpdatedEventDto,
      TypingDto,
      TypingEventDto,
      PresenceEventDto,
      SocketErrorDto,
      SocketAckDto,
      MessageDto,
      FriendRequestDto,
      FriendDto,
      EncryptionSyncEventDto,
    ],
    operationIdFactory: (controllerKey, methodKey) => `${controllerKey.replace(/Controller$/, '')}_${methodKey}`,
  });
}
