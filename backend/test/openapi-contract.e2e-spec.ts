import { Validator } from '@seriousme/openapi-schema-validator';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { befriend, openConversation } from './helpers/friends.js';
import { png } from './helpers/media.js';
import { OpenApiContract, STREAM } from './helpers/openapi-contract.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';
import { bearer, register, type Registered } from './helpers/users.js';

/**
 * backend/openapi.json against what the server really answers. The authorization matrix replays every
 * operation through the same contract; this spec covers the answers it does not reach: the alternative
 * 200s, ranges and revalidation of downloads, and the requests that need no body or token.
 */
describe('OpenAPI contract (e2e)', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const contract = new OpenApiContract();
    const result = await new Validator().validate(contract.document);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect((contract.document as unknown as { openapi: string }).openapi).toBe('3.1.0');
    // 3.0's `nullable` means nothing in 3.1: a null must be in `type` or an `anyOf`.
    expect(JSON.stringify(contract.document)).not.toContain('"nullable":');
  });

  it('refuses what the document does not allow (the check can fail)', () => {
    const contract = new OpenApiContract();
    const friendRequestResult = { status: 'accepted', request: null, friend: null };
    const check = (exchange: Partial<Parameters<OpenApiContract['check']>[0]>) =>
      contract.check({ method: 'POST', path: '/api/friends/requests', status: 201, contentType: 'application/json', body: friendRequestResult, ...exchange });

    expect(check({})).toEqual([]);
    expect(check({ status: 202 })).toEqual([expect.stringContaining('status 202 is not documented')]);
    expect(check({ contentType: 'text/html' })).toEqual([expect.stringContaining('content type text/html is not documented')]);
    expect(check({ body: { ...friendRequestResult, status: 'maybe' } })).toEqual([expect.stringContaining('body/status must be equal to one of the allowed values')]);
    expect(check({ body: { ...friendRequestResult, friend: { id: 1 } } }).length).toBeGreaterThan(0);
    expect(check({ body: 'not json' }).length).toBeGreaterThan(0);
    expect(check({ body: { ...friendRequestResult, passwordHash: 'x' } })).toEqual([expect.stringContaining('must NOT have additional properties')]);
    expect(check({ method: 'DELETE', path: '/api/friends/{userId}', status: 204, contentType: undefined, body: { unexpected: true } })).toEqual([
      'a body where openapi.json documents none',
    ]);
    expect(check({ path: '/api/nowhere' })).toEqual(['the operation is not in openapi.json']);
    expect(check({ method: 'GET', path: '/api/attachments/{id}', status: 200, contentType: 'video/mp4', body: STREAM })).toEqual([]);
    expect(contract.checked).toBe(10);
  });

  describe('answers beyond the authorization matrix', () => {
    const contract = new OpenApiContract();
    let t: TestApp;
    let uploadDir: string;
    let owner: Registered;
    let peer: Registered;

    beforeAll(async () => {
      uploadDir = await mkdtemp(join(tmpdir(), 'iris-contract-'));
      t = await createTestApp({ UPLOAD_DIR: uploadDir }, { contract });
      [owner, peer] = [await register(t.http), await register(t.http)];
    });
    afterAll(async () => {
      await t.close();
      await rm(uploadDir, { recursive: true, force: true });
    });
    afterEach(() => expect(contract.violations).toEqual([]));

    it('a friend request to someone who had asked you first: 200 with the new friend', async () => {
      const [a, b] = [await register(t.http), await register(t.http)];
      await t.http.post('/api/friends/requests').set(bearer(a.accessToken)).send({ userId: b.id }).expect(201);
      const res = await t.http.post('/api/friends/requests').set(bearer(b.accessToken)).send({ userId: a.id }).expect(200);
      expect(res.body).toMatchObject({ status: 'accepted', request: null, friend: { id: a.id } });
    });

    it('opening a conversation that exists: 200 with it; a message sent again with its clientId: 200 with the original', async () => {
      await befriend(t.http, owner, peer);
      const id = await openConversation(t.http, owner, peer);
      const again = await t.http.post('/api/conversations').set(bearer(peer.accessToken)).send({ userId: owner.id }).expect(200);
      expect(again.body).toMatchObject({ id, lastMessage: null });
      const message = { clientId: randomUUID(), body: 'once' };
      const first = await t.http.post(`/api/conversations/${id}/messages`).set(bearer(owner.accessToken)).send(message).expect(201);
      const retry = await t.http.post(`/api/conversations/${id}/messages`).set(bearer(owner.accessToken)).send(message).expect(200);
      expect(retry.body).toEqual(first.body);
      const listed = await t.http.get(`/api/conversations/${id}`).set(bearer(peer.accessToken)).expect(200);
      expect(listed.body.lastMessage).toMatchObject({ id: first.body.id, ciphertext: null });
    });

    it('downloads: the file with its own type, a range (206), revalidation (304), a range outside the file (416)', async () => {
      const upload = await t.http.post('/api/attachments').set(bearer(owner.accessToken)).attach('file', await png(), { filename: 'p.png', contentType: 'image/png' }).expect(201);
      const url = `/api/attachments/${upload.body.id}`;
      const whole = await t.http.get(url).set(bearer(owner.accessToken)).expect(200);
      expect(whole.headers['content-type']).toBe('image/png');
      const part = await t.http.get(url).set(bearer(owner.accessToken)).set('Range', 'bytes=0-9').expect(206);
      expect(part.headers['content-range']).toMatch(/^bytes 0-9\//);
      await t.http.get(url).set(bearer(owner.accessToken)).set('If-None-Match', whole.headers.etag).expect(304);
      await t.http.get(url).set(bearer(owner.accessToken)).set('Range', 'bytes=999999-').expect(416);
      const thumbnail = await t.http.get(`${url}/thumbnail`).set(bearer(owner.accessToken)).expect(200);
      expect(thumbnail.headers['content-type']).toBe('image/webp');
      const encrypted = await t.http
        .post('/api/attachments/encrypted')
        .set(bearer(owner.accessToken))
        .attach('file', Buffer.from(randomUUID()), { filename: 'encrypted.bin', contentType: 'application/octet-stream' })
        .expect(201);
      const blob = await t.http.get(`/api/attachments/${encrypted.body.id}`).set(bearer(owner.accessToken)).expect(200);
      expect(blob.headers['content-type']).toBe('application/octet-stream');
    });

    it('logout with neither a body nor an access token (the cookie alone), and with the token alone', async () => {
      const someone = await register(t.http);
      const login = await t.http
        .post('/api/auth/login')
        .set({ 'Sec-Fetch-Site': 'same-origin', 'Sec-Fetch-Mode': 'cors', 'Sec-Fetch-Dest': 'empty' })
        .send({ username: someone.username, password: 'correct horse battery' })
        .expect(200);
      const cookie = [login.headers['set-cookie']].flat().find((c) => String(c).startsWith('iris_refresh='))!;
      await t.http.post('/api/auth/logout').set('Cookie', String(cookie).split(';')[0]).expect(204);
      await t.http.post('/api/auth/logout').set(bearer(someone.accessToken)).expect(204);
      await t.http.post('/api/auth/logout').expect(401);
    });

    it('health, and its 400 for a query that carries NUL', async () => {
      await t.http.get('/api/health').expect(200);
      const res = await t.http.get('/api/health?probe=%00').expect(400);
      expect(res.body.code).toBe('INVALID_CHARACTERS');
    });

    it('checked every answer above', () => {
      expect(contract.checked).toBeGreaterThan(20);
      expect([...contract.seen.keys()]).toEqual(
        expect.arrayContaining([
          'POST /api/friends/requests 200',
          'POST /api/conversations 200',
          'POST /api/conversations/{id}/messages 200',
          'GET /api/attachments/{id} 206',
          'GET /api/attachments/{id} 304',
          'GET /api/health 400',
        ]),
      );
      console.log(`openapi contract (extra answers): ${contract.checked} exchanges checked, ${contract.violations.length} violations`);
    });
  });
});
