import { PASSWORD, register } from './helpers/users.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';

describe('rate limits on sign-in (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ AUTH_RATE_LIMIT_PER_MINUTE: '5' });
  });
  afterAll(() => t.close());

  it('answers 429 with Retry-After after repeated bad logins, until the window passes', async () => {
    const user = await register(t.http);
    for (let attempt = 0; attempt < 5; attempt++) {
      await t.http.post('/api/auth/login').send({ username: user.username, password: 'wrong password' }).expect(401);
    }
    const limited = await t.http.post('/api/auth/login').send({ username: user.username, password: PASSWORD }).expect(429);
    expect(limited.body).toMatchObject({ statusCode: 429, code: 'RATE_LIMITED' });
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);

    t.clock.advance(retryAfter * 1000);
    await t.http.post('/api/auth/login').send({ username: user.username, password: PASSWORD }).expect(200);
  });

  it('limits registration separately from login', async () => {
    for (let attempt = 0; attempt < 5; attempt++) await register(t.http);
    const res = await t.http.post('/api/auth/register').send({ username: 'one_too_many', password: PASSWORD }).expect(429);
    expect(res.headers['retry-after']).toBeDefined();
    const rows = await t.db.query(`SELECT 1 FROM users WHERE username = 'one_too_many'`);
    expect(rows).toHaveLength(0);
  });
});
