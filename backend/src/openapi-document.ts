import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { FriendDto, FriendRequestDto } from './friends/dto/friend.dto.js';
import { MessageDto } from './messages/dto/message.dto.js';
import { MessageSendAckDto, SocketSendMessageDto } from './messages/dto/socket-send.dto.js';
import { ConversationReadEventDto, ConversationUpdatedEventDto, MessagesExpiredEventDto } from './realtime/dto/message-events.dto.js';
import { PresenceEventDto } from './realtime/dto/presence-event.dto.js';
import { ReadyEventDto, SocketAckDto, SocketErrorDto } from './realtime/dto/socket-events.dto.js';
import { EncryptionSyncEventDto } from './e2ee/dto/to-device.dto.js';
import { SessionCreatedEventDto } from './auth/dto/session.dto.js';
import { TypingDto, TypingEventDto } from './realtime/dto/typing.dto.js';
import { SOCKET_PATH } from './realtime/realtime-events.js';
import { BlockChangedEventDto, FriendRemovedEventDto, FriendRequestRemovedEventDto, UserErasedEventDto } from './realtime/dto/contact-events.dto.js';
import { UserSummaryDto } from './users/dto/user.dto.js';

/**
 * Where the Socket.IO payload schemas live in the document. No route returns them, so under
 * `components.schemas` they would be unused components; `npm run sdk` moves them back there so the web
 * client gets their types.
 */
export const SOCKET_EXTENSION = 'x-socket-io';

// The events are not listed here: ServerEvents and ClientEvents in realtime/realtime-events.ts are their
// only list, and `npm run sdk` turns it into the web client's realtime-events.ts.
const REALTIME_DESCRIPTION =
  `Real time: Socket.IO at \`${SOCKET_PATH}\`, connecting with \`auth: { token: <accessToken> }\`. Each event carries a schema as its ` +
  `payload (\`ready\`: ReadyEventDto, \`message.created\`: MessageDto, \`error\`: SocketErrorDto, …); the schemas only sockets use are ` +
  `under \`${SOCKET_EXTENSION}.schemas\` of this document. The full map of event names to payloads is ServerEvents and ClientEvents ` +
  'in the backend file src/realtime/realtime-events.ts and in the generated SDK. Client events are acknowledged with SocketAckDto, ' +
  '`message.send` (SocketSendMessageDto, the send route over the socket) with MessageSendAckDto.';

/** Socket.IO payloads; the ones no route returns end up under SOCKET_EXTENSION. */
const SOCKET_MODELS = [
  ReadyEventDto,
  MessagesExpiredEventDto,
  ConversationReadEventDto,
  ConversationUpdatedEventDto,
  TypingDto,
  TypingEventDto,
  PresenceEventDto,
  SocketErrorDto,
  SocketAckDto,
  SocketSendMessageDto,
  MessageSendAckDto,
  MessageDto,
  FriendRequestDto,
  FriendDto,
  EncryptionSyncEventDto,
  SessionCreatedEventDto,
  FriendRemovedEventDto,
  FriendRequestRemovedEventDto,
  BlockChangedEventDto,
  UserErasedEventDto,
  UserSummaryDto,
];

/** The OpenAPI 3.1 document of the API, as served at /apidocs-json and committed as backend/openapi.json. */
export function createOpenApiDocument(app: NestFastifyApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle('Iris API')
    .setDescription(
      'Private 1-to-1 messaging. Errors always have the shape `ApiErrorDto` with a stable `code`. ' +
        'Lists are cursor-paginated: pass `nextCursor` back as `cursor` (message history: as `before` or `after`). ' +
        REALTIME_DESCRIPTION,
    )
    .setVersion('0.1.0')
    .addServer('/', 'The server that serves this document')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    // Listed so the socket payloads get schemas even where no route returns them.
    extraModels: SOCKET_MODELS,
    operationIdFactory: (controllerKey, methodKey) => `${controllerKey.replace(/Controller$/, '')}_${methodKey}`,
  });
  return finishDocument(document);
}

type Json = Record<string, unknown>;

/**
 * What @nestjs/swagger cannot say itself: the licence, `security: []` on the public routes (so an
 * operation without a token requirement is a decision, not an omission) and the socket-only schemas moved
 * out of `components`. It writes 3.1's nulls (`type: [T, 'null']`, `anyOf` with `{type: 'null'}`) itself
 * once told the version.
 */
export function finishDocument(document: OpenAPIObject): OpenAPIObject {
  // No licence has been chosen for Iris yet; SPDX's LicenseRef- says so without naming one.
  document.info.license = { name: 'Proprietary: no licence granted yet', identifier: 'LicenseRef-Proprietary' } as OpenAPIObject['info']['license'];
  delete document.info.contact;
  for (const methods of Object.values(document.paths)) {
    for (const operation of Object.values(methods as Record<string, Json>)) {
      if (typeof operation !== 'object' || operation === null || !('responses' in operation)) continue;
      operation.security ??= [];
    }
  }
  const schemas = document.components?.schemas ?? {};
  moveSocketSchemas(document, schemas as Record<string, Json>);
  return document;
}

/** The socket payloads nothing in the HTTP API refers to (transitively) leave `components`. */
function moveSocketSchemas(document: OpenAPIObject, schemas: Record<string, Json>): void {
  const used = new Set<string>();
  const pending: unknown[] = [document.paths];
  while (pending.length > 0) {
    const value = pending.pop();
    if (Array.isArray(value)) pending.push(...value);
    else if (isObject(value)) {
      const ref = value.$ref;
      if (typeof ref === 'string' && ref.startsWith('#/components/schemas/')) {
        const name = ref.slice('#/components/schemas/'.length);
        if (!used.has(name)) {
          used.add(name);
          pending.push(schemas[name]);
        }
      }
      pending.push(...Object.values(value));
    }
  }
  const socketOnly: Record<string, Json> = {};
  // Any other unused schema stays where Redocly's no-unused-components rule will point at it.
  for (const name of SOCKET_MODELS.map((model) => model.name).sort()) {
    if (used.has(name) || !(name in schemas)) continue;
    socketOnly[name] = schemas[name];
    delete schemas[name];
  }
  // A socket-only schema that refers to another one points into the extension.
  const text = JSON.stringify(socketOnly).replace(/"#\/components\/schemas\/(\w+)"/g, (match, name: string) =>
    name in socketOnly ? `"#/${SOCKET_EXTENSION}/schemas/${name}"` : match,
  );
  (document as unknown as Json)[SOCKET_EXTENSION] = { path: SOCKET_PATH, schemas: JSON.parse(text) as Json };
}

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
