import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { readFileSync } from 'node:fs';
import { toOpenApiPath } from './routes.js';

const OPENAPI_PATH = new URL('../../openapi.json', import.meta.url);
const DOCUMENT_ID = 'https://iris.invalid/openapi.json';

/** One answer of the server, as the contract sees it. */
export interface Exchange {
  method: string;
  /** The route's template in OpenAPI's spelling, `/api/conversations/{id}`. */
  path: string;
  status: number;
  /** Without parameters: `application/json`. */
  contentType: string | undefined;
  /** The parsed JSON body, `undefined` for none, `STREAM` for a streamed one (a download). */
  body: unknown;
}

export const STREAM = Symbol('streamed body');

interface ResponseObject {
  content?: Record<string, { schema?: unknown }>;
}

interface Operation {
  responses: Record<string, ResponseObject>;
}

/**
 * Checks real answers against the committed backend/openapi.json: the status must be documented for the
 * operation, the content type must be one it lists (media ranges such as `*∕*` included), no body where
 * it documents none, and a JSON body must validate against its schema (JSON Schema 2020-12, which
 * OpenAPI 3.1 schemas are, by Ajv), with no property the schema does not list. Feed it from
 * createTestApp's `contract` option.
 */
export class OpenApiContract {
  readonly document: { paths: Record<string, Record<string, Operation>> };
  readonly violations: string[] = [];
  /** `GET /api/health 200` → how many times it was seen. */
  readonly seen = new Map<string, number>();
  checked = 0;
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(document: unknown = JSON.parse(readFileSync(OPENAPI_PATH, 'utf8'))) {
    this.document = document as OpenApiContract['document'];
    addFormats.default(this.ajv);
    // OpenAPI's own formats; `binary` bodies are never parsed as JSON.
    this.ajv.addFormat('binary', true);
    this.ajv.addSchema({ ...closeObjects(structuredClone(document as object)), $id: DOCUMENT_ID });
  }

  /** A Fastify onSend hook: every answer the app gives on an API route is checked (Swagger UI, the web client and CORS preflights are not API routes). */
  readonly onSend = async (request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> => {
    const route = request.routeOptions.url;
    if (route?.startsWith('/api/') && request.method !== 'HEAD' && request.method !== 'OPTIONS') {
      const header = reply.getHeader('content-type');
      this.check({
        method: request.method,
        path: toOpenApiPath(route),
        status: reply.statusCode,
        contentType: typeof header === 'string' ? header.split(';')[0].trim().toLowerCase() : undefined,
        body: parseBody(payload),
      });
    }
    return payload;
  };

  /** Checks one exchange; returns its violations (also kept in `violations`). */
  check(exchange: Exchange): string[] {
    const found = this.problems(exchange);
    const label = `${exchange.method} ${exchange.path} ${exchange.status}`;
    this.checked += 1;
    this.seen.set(label, (this.seen.get(label) ?? 0) + 1);
    this.violations.push(...found.map((problem) => `${label}: ${problem}`));
    return found;
  }

  /** Every documented operation, `GET /api/health`. */
  operations(): string[] {
    return Object.entries(this.document.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`));
  }

  private problems({ method, path, status, contentType, body }: Exchange): string[] {
    const operation = this.document.paths[path]?.[method.toLowerCase()];
    if (!operation) return ['the operation is not in openapi.json'];
    const statusKey = [String(status), `${String(status)[0]}XX`, 'default'].find((key) => key in operation.responses);
    if (!statusKey) return [`status ${status} is not documented (documented: ${Object.keys(operation.responses).join(', ')})`];
    const content = operation.responses[statusKey].content;
    if (!content) return body === undefined ? [] : ['a body where openapi.json documents none'];
    if (body === undefined) return [];
    const mediaType = Object.keys(content).find((range) => matches(range, contentType));
    if (!mediaType) return [`content type ${contentType ?? '(none)'} is not documented (documented: ${Object.keys(content).join(', ')})`];
    if (body === STREAM || !isJson(mediaType) || content[mediaType].schema === undefined) return [];
    const validate = this.validator(path, method, statusKey, mediaType);
    if (validate(body)) return [];
    return (validate.errors ?? []).map((error) => `body${error.instancePath} ${error.message ?? 'is invalid'} ${JSON.stringify(error.params)}`);
  }

  private validator(path: string, method: string, status: string, mediaType: string): ValidateFunction {
    const pointer = ['paths', path, method.toLowerCase(), 'responses', status, 'content', mediaType, 'schema']
      .map((part) => encodeURIComponent(part.replaceAll('~', '~0').replaceAll('/', '~1')))
      .join('/');
    let validate = this.validators.get(pointer);
    if (!validate) {
      validate = this.ajv.compile({ $ref: `${DOCUMENT_ID}#/${pointer}` });
      this.validators.set(pointer, validate);
    }
    return validate;
  }
}

/** Every object schema that lists its properties gets `additionalProperties: false`: an undocumented field is a violation too. */
function closeObjects<T>(value: T): T {
  if (Array.isArray(value)) value.forEach(closeObjects);
  else if (typeof value === 'object' && value !== null) {
    const schema = value as Record<string, unknown>;
    Object.values(schema).forEach(closeObjects);
    if (typeof schema.properties === 'object' && schema.properties !== null && !('additionalProperties' in schema)) schema.additionalProperties = false;
  }
  return value;
}

function parseBody(payload: unknown): unknown {
  if (payload === undefined || payload === null || payload === '') return undefined;
  if (typeof payload === 'string' || Buffer.isBuffer(payload)) {
    const text = payload.toString();
    if (text === '') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      // Not JSON: a JSON schema will refuse the string.
      return text;
    }
  }
  return STREAM;
}

const isJson = (mediaType: string) => mediaType === 'application/json' || mediaType.endsWith('+json');

/** A media range of the document (`*∕*`, `image/*`, `application/json`) against an answer's type. */
function matches(range: string, contentType: string | undefined): boolean {
  if (!contentType) return false;
  if (range === '*/*') return true;
  if (range.endsWith('/*')) return contentType.startsWith(range.slice(0, -1));
  return range === contentType;
}
