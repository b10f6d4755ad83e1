import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Response } from 'supertest';
import { befriend, openConversation } from './helpers/friends.js';
import { closeSockets, connect } from './helpers/sockets.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';
import { bearer, register } from './helpers/users.js';

const CSP =
  "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' blob: data:; " +
  "media-src 'self' blob:; connect-src 'self' ws: wss:; font-src 'self'; object-src 'none'; base-uri 'self'; " +
  "frame-ancestors 'none'; form-action 'self'";

const ALLOWED_ORIGIN = 'https://chat.example.com';
const OTHER_ORIGIN = 'https://evil.example.net';

const directives = (policy: string) => policy.split(';').map((directive) => directive.trim());

function expectSecurityHeaders(res: Response): void {
  expect(directives(res.headers['content-security-policy'])).toEqual(directives(CSP));
  expect(res.headers).toMatchObject({
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
  });
  expect(res.headers).not.toHaveProperty('x-powered-by');
}

describe('HTTP hardening (e2e)', () => {
  describe('in development, without CORS_ORIGINS', () => {
    let t: TestApp;
    let dir: string;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'iris-web-'));
      writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Iris</title><app-root></app-root>');
      t = await createTestApp({ SEND_RATE_LIMIT_PER_MINUTE: '3' }, { webClientDir: dir });
    });
    afterEach(() => closeSockets());
    afterAll(async () => {
      await t.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('sends the security headers and the CSP on the API, its errors, the web client and Swagger UI, but no HSTS over plain http', async () => {
      const user = await register(t.http);
      const responses = [
        await t.http.get('/api/users/me').set(bearer(user.accessToken)).expect(200),
        await t.http.get('/api/users/me').expect(401),
        await t.http.get('/api/nothing-here').expect(404),
        await t.http.get('/chats').expect(200),
        await t.http.get('/apidocs/').expect(200),
        await t.http.get('/apidocs-json').expect(200),
      ];
      for (const res of responses) {
        expectSecurityHeaders(res);
        expect(res.headers).not.toHaveProperty('strict-transport-security');
      }
    });

    it('marks every API answer no-store, errors included, but leaves the web client its own caching', async () => {
      const user = await register(t.http);
      for (const res of [
        await t.http.get('/api/users/me').set(bearer(user.accessToken)).expect(200),
        await t.http.get(`/api/users?search=${user.username}`).set(bearer(user.accessToken)).expect(200),
        await t.http.get('/api/conversations').set(bearer(user.accessToken)).expect(200),
        await t.http.get('/api/users/me').expect(401),
        await t.http.post('/api/auth/login').send({ username: user.username, password: 'wrong password' }).expect(401),
        await t.http.get('/api/health').expect(200),
      ]) {
        expect(res.headers['cache-control']).toBe('no-store');
      }
      expect((await t.http.get('/chats').expect(200)).headers['cache-control']).toBe('no-cache');
    });

    it('answers no CORS preflight and grants no cross-origin read', async () => {
      const preflight = await t.http
        .options('/api/users/me')
        .set({ Origin: OTHER_ORIGIN, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' });
      expect(preflight.headers).not.toHaveProperty('access-control-allow-origin');
      const user = await register(t.http);
      const read = await t.http.get('/api/users/me').set({ ...bearer(user.accessToken), Origin: OTHER_ORIGIN }).expect(200);
      expect(read.headers).not.toHaveProperty('access-control-allow-origin');
      expect(read.headers).not.toHaveProperty('access-control-allow-credentials');
    });

    it('answers a malformed or over-long URL with the standard error, without echoing it', async () => {
      const user = await register(t.http);
      const malformed = await t.http.get('/api/conversations/%C0%AF<b>').set(bearer(user.accessToken)).expect(400);
      expect(malformed.body).toEqual({ statusCode: 400, error: 'Bad Request', code: 'INVALID_URL', message: 'The URL is not valid', requestId: expect.any(String) });
      const long = await t.http.post(`/api/friends/requests/${'a'.repeat(300)}/accept`).set(bearer(user.accessToken)).expect(414);
      expect(long.body).toEqual({ statusCode: 414, error: 'URI Too Long', code: 'URL_TOO_LONG', message: expect.any(String), requestId: expect.any(String) });
      expect(long.headers['cache-control']).toBe('no-store');
    });

    it('takes a bodiless POST that says application/json as one without a body, and still refuses malformed JSON', async () => {
      const [alice, bob] = [await register(t.http), await register(t.http)];
      const sent = await t.http.post('/api/friends/requests').set(bearer(alice.accessToken)).send({ userId: bob.id }).expect(201);
      const accept = `/api/friends/requests/${sent.body.request.id}/accept`;

      await t.http.post(accept).set({ ...bearer(bob.accessToken), 'content-type': 'application/json', 'content-length': '0' }).expect(200);
      await t.http.post('/api/auth/logout').set({ ...bearer(alice.accessToken), 'content-type': 'application/json' }).expect(204);

      const broken = await t.http.post('/api/auth/login').set('content-type', 'application/json').send('{"username":').expect(400);
      expect(broken.body.code).toBe('INVALID_JSON');
      const poisoned = await t.http.post('/api/auth/login').set('content-type', 'application/json').send('{"__proto__":{"admin":true}}').expect(400);
      expect(poisoned.body.code).toBe('INVALID_JSON');
    });

    it('refuses a JSON body over 72 KiB (room for a 64 KiB ciphertext) with 413 and the standard error, and stores nothing', async () => {
      const [alice, bob] = [await register(t.http), await register(t.http)];
      await befriend(t.http, alice, bob);
      const conversationId = await openConversation(t.http, alice, bob);
      const clientId = randomUUID();
      const res = await t.http
        .post(`/api/conversations/${conversationId}/messages`)
        .set(bearer(alice.accessToken))
        .send({ clientId, body: 'x'.repeat(73 * 1024) })
        .expect(413);
      expect(res.body).toEqual({
        statusCode: 413,
        error: 'Payload Too Large',
        code: 'PAYLOAD_TOO_LARGE',
        message: expect.any(String),
        requestId: expect.any(String),
      });
      expect(await t.db.query('SELECT 1 FROM messages WHERE client_id = $1', [clientId])).toHaveLength(0);
    });

    it('limits sends per user with 429 and Retry-After, storing nothing beyond the limit, until the window passes', async () => {
      const [alice, bob, carol] = [await register(t.http), await register(t.http), await register(t.http)];
      await befriend(t.http, alice, bob);
      await befriend(t.http, carol, bob);
      const conversationId = await openConversation(t.http, alice, bob);
      const bobSocket = await connect(t, bob.accessToken);
      const send = (user = alice, id = conversationId, clientId = randomUUID()) =>
        t.http.post(`/api/conversations/${id}/messages`).set(bearer(user.accessToken)).send({ clientId, body: 'hi' });
      for (let i = 0; i < 3; i++) expect((await send()).status).toBe(201);
      const clientId = randomUUID();
      const limited = await send(alice, conversationId, clientId).expect(429);
      expect(limited.body).toMatchObject({ statusCode: 429, code: 'RATE_LIMITED' });
      const retryAfter = Number(limited.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(await t.db.query('SELECT 1 FROM messages WHERE client_id = $1', [clientId])).toHaveLength(0);
      // Another user has a budget of their own.
      expect((await send(carol, await openConversation(t.http, carol, bob))).status).toBe(201);

      t.clock.advance(retryAfter * 1000);
      const later = await send(alice, conversationId, clientId).expect(201);
      await bobSocket.waitFor('message.created', (m: { id: string }) => m.id === later.body.id);
      const inConversation = bobSocket.of('message.created').filter((m) => (m as { conversationId: string }).conversationId === conversationId);
      expect(inConversation).toHaveLength(4);
    });
  });

  describe('in production, with CORS_ORIGINS', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ NODE_ENV: 'production', TRUST_PROXY: 'true', CORS_ORIGINS: `${ALLOWED_ORIGIN}, https://other.example.com:8443` });
    });
    afterAll(() => t.close());

    it('sends HSTS on answers to HTTPS requests (here, as the trusted proxy says), never over plain http', async () => {
      const overHttps = await t.http.get('/api/health').set('x-forwarded-proto', 'https').expect(200);
      expectSecurityHeaders(overHttps);
      expect(overHttps.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');

      const plain = await t.http.get('/api/health').expect(200);
      expectSecurityHeaders(plain);
      expect(plain.headers).not.toHaveProperty('strict-transport-security');
    });

    it('answers the preflight of an allowed origin, with credentials, and ignores any other origin', async () => {
      const ask = (origin: string) =>
        t.http
          .options('/api/users/me')
          .set({ Origin: origin, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' });
      const allowed = await ask(ALLOWED_ORIGIN).expect(204);
      expect(allowed.headers).toMatchObject({
        'access-control-allow-origin': ALLOWED_ORIGIN,
        'access-control-allow-credentials': 'true',
        'access-control-allow-headers': expect.stringMatching(/Authorization/),
      });
      expect((await ask('https://other.example.com:8443')).headers['access-control-allow-origin']).toBe('https://other.example.com:8443');
      const other = await ask(OTHER_ORIGIN);
      expect(other.headers).not.toHaveProperty('access-control-allow-origin');

      const user = await register(t.http);
      const read = await t.http.get('/api/users/me').set({ ...bearer(user.accessToken), Origin: ALLOWED_ORIGIN }).expect(200);
      expect(read.headers).toMatchObject({ 'access-control-allow-origin': ALLOWED_ORIGIN, 'access-control-expose-headers': expect.stringMatching(/Retry-After/) });
      expect((await t.http.get('/api/users/me').set({ ...bearer(user.accessToken), Origin: OTHER_ORIGIN })).headers).not.toHaveProperty(
        'access-control-allow-origin',
      );
    });

    it('serves no Swagger UI and no OpenAPI document', async () => {
      await t.http.get('/apidocs').expect(404);
      await t.http.get('/apidocs/').expect(404);
      await t.http.get('/apidocs-json').expect(404);
    });
  });

  describe('in production with SWAGGER_ENABLED=true', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ NODE_ENV: 'production', SWAGGER_ENABLED: 'true' });
    });
    afterAll(() => t.close());

    it('serves Swagger UI under the same CSP (its scripts are files, not inline)', async () => {
      const page = await t.http.get('/apidocs/').expect(200);
      expectSecurityHeaders(page);
      expect(page.text).not.toMatch(/<script>[^<]/);
      expect(page.text).not.toMatch(/\son[a-z]+=/i);
      expect((await t.http.get('/apidocs-json').expect(200)).body.openapi).toMatch(/^3\./);
    });
  });
});
