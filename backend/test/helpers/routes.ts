import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { ModulesContainer } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { MESSAGE_MAPPING_METADATA, MESSAGE_METADATA } from '@nestjs/websockets/constants.js';
import { readFileSync } from 'node:fs';
import { IS_PUBLIC } from '../../src/common/public.decorator.js';

/** One route as the OpenAPI document spells it: `GET /api/conversations/{id}`. */
export type RouteKey = `${string} /${string}`;

export interface NestRoute {
  key: RouteKey;
  method: string;
  path: string;
  isPublic: boolean;
  roles: string[];
  controller: string;
  handler: string;
}

const OPENAPI_PATH = new URL('../../openapi.json', import.meta.url);

const join = (...parts: string[]) =>
  '/' +
  parts
    .flatMap((part) => part.split('/'))
    .filter((part) => part !== '')
    .join('/');

/** `/api/conversations/:id` → `/api/conversations/{id}` (OpenAPI's spelling). */
export const toOpenApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/** Every HTTP handler of every controller Nest knows, with its access metadata, under the global prefix `api`. */
export function nestRoutes(app: NestFastifyApplication): NestRoute[] {
  const routes: NestRoute[] = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => unknown) | null;
      if (!controller) continue;
      const base = Reflect.getMetadata(PATH_METADATA, controller) as string | string[] | undefined;
      for (const name of Object.getOwnPropertyNames(controller.prototype)) {
        const handler: unknown = Object.getOwnPropertyDescriptor(controller.prototype, name)?.value;
        if (typeof handler !== 'function' || name === 'constructor') continue;
        const path = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (path === undefined || method === undefined) continue;
        for (const prefix of [base ?? ''].flat()) {
          for (const sub of [path].flat()) {
            const fullPath = toOpenApiPath(join('api', prefix, sub));
            const verb = RequestMethod[method];
            routes.push({
              key: `${verb} ${fullPath}` as RouteKey,
              method: verb,
              path: fullPath,
              isPublic: Boolean(Reflect.getMetadata(IS_PUBLIC, handler) ?? Reflect.getMetadata(IS_PUBLIC, controller)),
              roles: (Reflect.getMetadata('iris:roles', handler) ?? Reflect.getMetadata('iris:roles', controller) ?? []) as string[],
              controller: controller.name,
              handler: name,
            });
          }
        }
      }
    }
  }
  return routes.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** The Socket.IO events clients may send, as the gateways declare them with @SubscribeMessage. */
export function socketEvents(app: NestFastifyApplication): string[] {
  const events: string[] = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.providers.values()) {
      const type = wrapper.metatype as (new (...args: never[]) => unknown) | null;
      if (!type?.prototype) continue;
      for (const name of Object.getOwnPropertyNames(type.prototype)) {
        const handler: unknown = Object.getOwnPropertyDescriptor(type.prototype, name)?.value;
        if (typeof handler !== 'function' || !Reflect.getMetadata(MESSAGE_MAPPING_METADATA, handler)) continue;
        events.push(Reflect.getMetadata(MESSAGE_METADATA, handler) as string);
      }
    }
  }
  return [...new Set(events)].sort();
}

export interface OpenApiOperation {
  key: RouteKey;
  method: string;
  path: string;
  operation: OpenApiOperationObject;
}

export interface OpenApiOperationObject {
  operationId: string;
  parameters?: { name: string; in: 'path' | 'query' | 'header'; required?: boolean; schema: SchemaObject }[];
  requestBody?: { required?: boolean; content: Record<string, { schema: SchemaObject }> };
  responses: Record<string, unknown>;
  security?: unknown[];
}

export interface SchemaObject {
  /** OpenAPI 3.1 spells a nullable value `[type, 'null']`. */
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  items?: SchemaObject;
  properties?: Record<string, SchemaObject>;
  required?: string[];
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  $ref?: string;
  allOf?: SchemaObject[];
  oneOf?: SchemaObject[];
  anyOf?: SchemaObject[];
  additionalProperties?: boolean | SchemaObject;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperationObject>>;
  components: { schemas: Record<string, SchemaObject> };
}

/** The committed `backend/openapi.json`. */
export function openApiDocument(): OpenApiDocument {
  return JSON.parse(readFileSync(OPENAPI_PATH, 'utf8')) as OpenApiDocument;
}

/** Every operation of the committed OpenAPI document. */
export function openApiOperations(document = openApiDocument()): OpenApiOperation[] {
  return Object.entries(document.paths)
    .flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({
        key: `${method.toUpperCase()} ${path}` as RouteKey,
        method: method.toUpperCase(),
        path,
        operation,
      })),
    )
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Fills `{name}` placeholders of an OpenAPI path. */
export function fillPath(path: string, values: Record<string, string> | ((name: string) => string)): string {
  return path.replace(/\{([^}]+)\}/g, (_match, name: string) => {
    const value = typeof values === 'function' ? values(name) : values[name];
    if (value === undefined) throw new Error(`No value for {${name}} in ${path}`);
    return encodeURIComponent(value);
  });
}
