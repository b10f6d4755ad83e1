import type { OpenAPIObject } from '@nestjs/swagger';
import { finishDocument, SOCKET_EXTENSION } from './openapi-document.js';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object) => ({ content: { 'application/json': { schema } } });

function document(): OpenAPIObject {
  return {
    openapi: '3.1.0',
    info: { title: 'Iris API', version: '0.1.0', contact: {} },
    paths: {
      '/api/health': { get: { responses: { 200: json(ref('HealthDto')) } } },
      '/api/messages/{id}': { patch: { security: [{ bearer: [] }], responses: { 200: json(ref('MessageDto')) } } },
    },
    components: {
      schemas: {
        HealthDto: { type: 'object', properties: { status: { type: 'string' } } },
        MessageDto: { type: 'object', properties: { id: { type: 'string' } } },
        TypingDto: { type: 'object', properties: { conversationId: { type: 'string' } } },
        TypingEventDto: { type: 'object', properties: { typing: ref('TypingDto'), message: ref('MessageDto') } },
        UnusedDto: { type: 'object' },
      },
    },
  } as unknown as OpenAPIObject;
}

describe(finishDocument.name, () => {
  it('marks operations without a token requirement as public and keeps the others', () => {
    const sut = finishDocument(document());
    expect(sut.paths['/api/health'].get?.security).toEqual([]);
    expect(sut.paths['/api/messages/{id}'].patch?.security).toEqual([{ bearer: [] }]);
  });

  it('moves the socket payloads no route uses out of components, pointing their refs to each other into the extension', () => {
    const sut = finishDocument(document()) as OpenAPIObject & Record<string, { path: string; schemas: Record<string, unknown> }>;
    expect(Object.keys(sut.components?.schemas ?? {}).sort()).toEqual(['HealthDto', 'MessageDto', 'UnusedDto']);
    expect(sut[SOCKET_EXTENSION].path).toBe('/socket.io');
    expect(sut[SOCKET_EXTENSION].schemas).toEqual({
      TypingDto: { type: 'object', properties: { conversationId: { type: 'string' } } },
      TypingEventDto: { type: 'object', properties: { typing: { $ref: `#/${SOCKET_EXTENSION}/schemas/TypingDto` }, message: ref('MessageDto') } },
    });
  });

  it('names the licence situation and drops the empty contact', () => {
    const sut = finishDocument(document());
    expect(sut.info.license).toEqual({ name: expect.any(String), identifier: 'LicenseRef-Proprietary' });
    expect(sut.info).not.toHaveProperty('contact');
  });
});
