import { randomUUID } from 'node:crypto';
import type { RouteOptions } from 'fastify';
import { createTestApp, type TestApp } from './helpers/test-app.js';
import { fillPath, nestRoutes, type NestRoute, openApiOperations, type RouteKey, socketEvents, toOpenApiPath } from './helpers/routes.js';
import { bearer, register } from './helpers/users.js';

/**
 * The routes anyone may call without a token. Adding a @Public() route means adding it here, on purpose.
 * `POST /api/auth/logout` is public so a client whose access token has expired can still end its session
 * with the refresh token.
 */
const PUBLIC_ROUTES: RouteKey[] = [
  'GET /api/health',
  'POST /api/auth/login',
  'POST /api/auth/login/mfa',
  'POST /api/auth/logout',
  'POST /api/auth/passkeys/login',
  'POST /api/auth/passkeys/login/options',
  'POST /api/auth/passkeys/mfa',
  'POST /api/auth/passkeys/mfa/options',
  'POST /api/auth/refresh',
  'POST /api/auth/register',
];

/** Routes outside Nest's controllers: Swagger UI and its document (the web client adds `GET /*` when it is built). */
const NON_API_ROUTES = /^\/apidocs(?:\/|-json$|-yaml$|$)/;

/** Socket.IO events a client may send; the handshake needs a token before any of them is read. */
const SOCKET_EVENTS = ['message.send', 'typing'];

describe('route inventory (e2e)', () => {
  let t: TestApp;
  const registered: { method: string; url: string }[] = [];
  let routes: NestRoute[];
  let events: string[];

  beforeAll(async () => {
    t = await createTestApp(
      { SWAGGER_ENABLED: 'true' },
      {
        onRoute: (route: RouteOptions) => {
          for (const method of [route.method].flat()) registered.push({ method, url: route.url });
        },
      },
    );
    routes = nestRoutes(t.app);
    events = socketEvents(t.app);
  });
  afterAll(() => t.close());

  it('finds the routes (a broken inventory would pass every other check)', () => {
    expect(routes.length).toBeGreaterThan(30);
    console.log(`route inventory: ${routes.length} API routes, ${PUBLIC_ROUTES.length} public, ${SOCKET_EVENTS.length} socket events`);
  });

  it('serves through Fastify exactly the routes Nest declares, plus Swagger UI', () => {
    const api = registered.filter((r) => r.url.startsWith('/api/') && r.method !== 'HEAD');
    const other = registered.filter((r) => !r.url.startsWith('/api/'));
    expect([...new Set(api.map((r) => `${r.method} ${toOpenApiPath(r.url)}`))].sort()).toEqual(routes.map((r) => r.key));
    expect(other.filter((r) => !NON_API_ROUTES.test(r.url))).toEqual([]);
    // HEAD routes only shadow GET routes (Fastify's exposeHeadRoutes), never stand alone.
    const gets = new Set(registered.filter((r) => r.method === 'GET').map((r) => r.url));
    expect(registered.filter((r) => r.method === 'HEAD' && !gets.has(r.url))).toEqual([]);
  });

  it('matches the committed openapi.json, method and path', () => {
    expect(openApiOperations().map((o) => o.key)).toEqual(routes.map((r) => r.key));
  });

  it('marks exactly the listed routes @Public()', () => {
    expect(routes.filter((r) => r.isPublic).map((r) => r.key)).toEqual([...PUBLIC_ROUTES].sort());
  });

  it('documents the bearer token on every guarded route', () => {
    const operations = new Map(openApiOperations().map((o) => [o.key, o.operation]));
    for (const route of routes.filter((r) => !r.isPublic)) {
      expect({ route: route.key, security: operations.get(route.key)?.security }).toEqual({ route: route.key, security: [{ bearer: [] }] });
      expect({ route: route.key, responses: Object.keys(operations.get(route.key)?.responses ?? {}) }).toEqual({
        route: route.key,
        responses: expect.arrayContaining(['401']),
      });
    }
  });

  it('documents no token requirement on the public routes (logout: the token is one of its ways in, not required)', () => {
    const operations = new Map(openApiOperations().map((o) => [o.key, o.operation]));
    for (const route of routes.filter((r) => r.isPublic)) {
      const expected = route.key === 'POST /api/auth/logout' ? [{ bearer: [] }, {}] : [];
      expect({ route: route.key, security: operations.get(route.key)?.security }).toEqual({ route: route.key, security: expected });
    }
  });

  it('restricts every /api/admin route to administrators, and no other route', () => {
    for (const route of routes) {
      expect({ route: route.key, roles: route.roles }).toEqual({ route: route.key, roles: route.path.startsWith('/api/admin/') ? ['admin'] : [] });
    }
  });

  it('answers 401 with the standard error to every guarded route called without a token or with a bad one', async () => {
    const user = await register(t.http);
    const guarded = routes.filter((r) => !r.isPublic);
    const badTokens: [string, Record<string, string>][] = [
      ['no token', {}],
      ['a garbage token', bearer('not-a-jwt')],
      ['a refresh token', bearer(user.refreshToken)],
      ['a Basic header', { Authorization: 'Basic dXNlcjpwYXNz' }],
    ];
    let cases = 0;
    for (const route of guarded) {
      const url = fillPath(route.path, () => randomUUID());
      for (const [label, headers] of badTokens) {
        const res = await t.http[route.method.toLowerCase() as 'get'](url).set(headers).send({});
        expect({ route: route.key, label, status: res.status, body: res.body }).toEqual({
          route: route.key,
          label,
          status: 401,
          body: {
            statusCode: 401,
            error: 'Unauthorized',
            code: expect.stringMatching(/^(UNAUTHORIZED|INVALID_TOKEN)$/),
            message: expect.any(String),
            requestId: expect.any(String),
          },
        });
        cases++;
      }
    }
    console.log(`route inventory: ${cases} anonymous and bad-token calls answered 401`);
  });

  it('lists every Socket.IO event a client may send', () => {
    expect(events).toEqual(SOCKET_EVENTS);
  });
});
