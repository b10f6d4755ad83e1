import { createTestApp, type TestApp } from './helpers/test-app.js';

describe('health and the error shape', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('reports the process and the database as up', async () => {
    const res = await t.http.get('/api/health').expect(200);
    expect(res.body).toMatchObject({ status: 'ok', database: 'up' });
    expect(typeof res.body.uptimeSeconds).toBe('number');
  });

  it('serves the Swagger UI and the OpenAPI document', async () => {
    await t.http.get('/apidocs').expect(200).expect('content-type', /html/);
    const res = await t.http.get('/apidocs-json').expect(200);
    expect(res.body.paths).toHaveProperty('/api/auth/register');
    expect(res.body.components.securitySchemes).toHaveProperty('bearer');
  });

  it('echoes a well-formed x-request-id and replaces a malformed one', async () => {
    const kept = await t.http.get('/api/health').set('x-request-id', 'trace-123').expect(200);
    expect(kept.headers['x-request-id']).toBe('trace-123');
    const replaced = await t.http.get('/api/health').set('x-request-id', 'bad id <script>').expect(200);
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses the NUL character in any body, query or header-free input with 400', async () => {
    const user = (await t.http.post('/api/auth/register').send({ username: 'nul_tester', password: 'correct horse battery' }).expect(201)).body;
    const auth = { Authorization: `Bearer ${user.accessToken}` };
    const attempts = [
      t.http.post('/api/auth/login').send({ username: 'ali\u0000ce', password: 'x' }),
      t.http.post('/api/auth/register').send({ username: 'carol', password: 'correct horse battery', displayName: 'a\u0000b' }),
      t.http.patch('/api/users/me').set(auth).send({ statusMessage: 'a\u0000b' }),
      t.http.patch('/api/users/me').set(auth).send({ nested: { ['k\u0000']: 1 } }),
      t.http.get('/api/users?search=a%00b').set(auth),
    ];
    for (const attempt of attempts) {
      const res = await attempt;
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('INVALID_CHARACTERS');
    }
    const rows = await t.db.query(`SELECT status_message FROM users WHERE username = 'nul_tester'`);
    expect(rows).toEqual([{ status_message: '' }]);
    expect(await t.db.query(`SELECT 1 FROM users WHERE username = 'carol'`)).toHaveLength(0);
  });

  it.each([
    ['an unknown route', () => t.http.get('/api/nope'), 404, 'NOT_FOUND'],
    ['malformed JSON', () => t.http.post('/api/auth/login').set('content-type', 'application/json').send('{"username":'), 400, 'INVALID_JSON'],
    ['a text body', () => t.http.post('/api/auth/login').set('content-type', 'text/plain').send('hello'), 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['a form body', () => t.http.post('/api/auth/login').type('form').send({ username: 'a', password: 'b' }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['a body over 1 MiB', () => t.http.post('/api/auth/login').send({ username: 'a', password: 'x'.repeat(1_100_000) }), 413, 'PAYLOAD_TOO_LARGE'],
    ['a JSON array body', () => t.http.post('/api/auth/login').send([1, 2]), 400, 'VALIDATION_FAILED'],
    ['a JSON null body', () => t.http.post('/api/auth/login').set('content-type', 'application/json').send('null'), 400, 'VALIDATION_FAILED'],
    ['a missing body', () => t.http.post('/api/auth/login'), 400, 'VALIDATION_FAILED'],
  ])('answers %s with the documented error shape', async (_case, send, status, code) => {
    const res = await send().expect(status);
    expect(res.body).toEqual({
      statusCode: status,
      error: expect.any(String),
      message: expect.any(String),
      code,
      requestId: res.headers['x-request-id'],
      ...(res.body.details ? { details: expect.any(Array) } : {}),
    });
  });
});
