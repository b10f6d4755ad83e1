import fastifyCookie from '@fastify/cookie';
import fastifyMultipart from '@fastify/multipart';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { type FastifyError, type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import { SwaggerModule } from '@nestjs/swagger';
import helmet from 'helmet';
import { randomUUID } from 'node:crypto';
import { type IncomingMessage, STATUS_CODES } from 'node:http';
import { checkInput, createValidationPipe } from './common/validation.js';
import type { AppConfig } from './config/app-config.js';
import { RealtimeIoAdapter } from './realtime/realtime-io.adapter.js';
import { createOpenApiDocument } from './openapi-document.js';
import { trackConnections } from './shutdown.js';

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

/** A request that took this long is logged at `warn`, whatever its status. */
export const SLOW_REQUEST_MS = 1000;

const LEVEL_VALUES: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

/**
 * The request log: one line per answer (none when the request comes in), a 5xx or an error while
 * answering at `error`, a slow answer at `warn`, a refusal (4xx: bad input, expired tokens, rate
 * limits, probing) at `info`, and every other answer at `debug` only. A messenger answers a request
 * per message sent: a line each at the default level cost a sizeable share of the server's CPU and
 * said nothing an operator acts on.
 */
class RequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const status = reply.statusCode;
    const level = error || status >= 500 ? 'error' : reply.elapsedTime >= SLOW_REQUEST_MS ? 'warn' : status >= 400 ? 'info' : 'debug';
    if (!(LEVEL_VALUES[level] >= (LEVEL_VALUES[reply.log.level] ?? Infinity))) return;
    reply.log[level](
      { req: request, res: reply, responseTime: reply.elapsedTime, ...(error ? { err: error } : {}) },
      error ? 'request errored' : 'request completed',
    );
  }
}

/**
 * Fastify with request ids (a well-formed incoming `x-request-id` is kept) and JSON logs carrying them,
 * written to stdout or to `logStream` (tests read it). Fastify's own request log (two lines per
 * request at `info`) is off: `logRequest` writes one line per answer, at a level that keeps the
 * default log to what an operator acts on.
 */
export function createFastifyAdapter(config: AppConfig, logStream?: { write(line: string): void }): FastifyAdapter {
  return new FastifyAdapter({
    logger:
      config.LOG_LEVEL === 'silent'
        ? false
        : {
            level: config.LOG_LEVEL,
            serializers: { req: (req: FastifyRequest) => ({ method: req.method, url: loggedUrl(req), id: req.id }) },
            ...(logStream ? { stream: logStream } : {}),
          },
    logController: new RequestLog(),
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

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/**
 * The URL as the log keeps it: the route's pattern (`/api/users/:id`), never the ids in it, which would
 * outlive an erased account in the log; a URL no route matched, with any UUID in it masked. The query
 * string (search terms, cursors with usernames) is left out either way.
 */
function loggedUrl(req: FastifyRequest): string {
  return req.routeOptions?.url ?? req.url.split('?')[0].replace(UUID, ':id');
}

/** Everything an Iris app needs besides its modules; shared by main, the tests and the OpenAPI export. */
export async function configureApp(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();
  // Built once: @fastify/helmet builds helmet's middleware again on every request, though the headers
  // are the same on every answer, errors and 404s included.
  const securityHeaders = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
    strictTransportSecurity: false,
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  });
  fastify.addHook('onRequest', (request, reply, done) => {
    // HSTS only on answers that went over HTTPS (directly, or as a trusted proxy says), and where the
    // cookie is Secure: over plain http the header means nothing to a browser and can lock a dev box out.
    if (config.cookieSecure && request.protocol === 'https') void reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
    securityHeaders(request.raw, reply.raw, (error?: unknown) => done(error as Error | undefined));
  });
  if (config.corsOrigins.length > 0) {
    app.enableCors({
      origin: config.corsOrigins,
      credentials: true,
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type', 'Range', 'If-None-Match', 'X-Request-Id', 'X-Socket-Id'],
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
  // An empty body that says application/json (curl -H, proxies that always set it) is no body, not bad JSON.
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) =>
    body === '' ? done(null, undefined) : parseJson(request, body as string, done),
  );
  // PostgreSQL cannot store U+0000 in text; refuse it up front for every route instead of failing in SQL.
  fastify.addHook('preValidation', async (request) => {
    checkInput([request.body, request.query, request.params]);
  });

  app.setGlobalPrefix('api');
  app.useGlobalPipes(createValidationPipe());
  app.useWebSocketAdapter(new RealtimeIoAdapter(app, config));
  // Stopping on a signal is main.ts's job (shutDown), bounded by SHUTDOWN_TIMEOUT_MS.
  trackConnections(app);

  if (config.swaggerEnabled) {
    SwaggerModule.setup('apidocs', app, createOpenApiDocument(app), {
      jsonDocumentUrl: 'apidocs-json',
      customSiteTitle: 'Iris API',
    });
  }
}
