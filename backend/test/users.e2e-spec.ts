import { bearer, register, uniqueUsername, type Registered } from './helpers/users.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';

describe('users (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  describe('GET /api/users/me', () => {
    it('returns the caller without secrets', async () => {
      const user = await register(t.http, { displayName: 'Grace' });
      const res = await t.http.get('/api/users/me').set(bearer(user.accessToken)).expect(200);
      expect(res.body).toEqual({
        id: user.id,
        username: user.username,
        displayName: 'Grace',
        avatarVersion: null,
        statusMessage: '',
        role: 'user',
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      });
    });
  });

  describe('PATCH /api/users/me', () => {
    it('changes the display name and status message', async () => {
      const user = await register(t.http);
      const res = await t.http
        .patch('/api/users/me')
        .set(bearer(user.accessToken))
        .send({ displayName: ' Ada ', statusMessage: 'Out sailing' })
        .expect(200);
      expect(res.body).toMatchObject({ displayName: 'Ada', statusMessage: 'Out sailing' });
      const again = await t.http.patch('/api/users/me').set(bearer(user.accessToken)).send({ statusMessage: '' }).expect(200);
      expect(again.body).toMatchObject({ displayName: 'Ada', statusMessage: '' });
    });

    it.each([
      ['role', { role: 'admin' }],
      ['username', { username: 'someone_else' }],
      ['id', { id: '00000000-0000-4000-8000-000000000000' }],
      ['tokenVersion', { tokenVersion: 99 }],
    ])('rejects %s in the body and leaves the row unchanged (mass assignment)', async (field, body) => {
      const user = await register(t.http);
      const [before] = await t.db.query('SELECT * FROM users WHERE id = $1', [user.id]);
      const res = await t.http
        .patch('/api/users/me')
        .set(bearer(user.accessToken))
        .send({ displayName: 'Mallory', ...body })
        .expect(400);
      expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', details: [expect.objectContaining({ field })] });
      const [after] = await t.db.query('SELECT * FROM users WHERE id = $1', [user.id]);
      expect(after).toEqual(before);
    });

    it.each([
      ['an empty display name', { displayName: '   ' }],
      ['a display name over 64 characters', { displayName: 'x'.repeat(65) }],
      ['a status message over 140 characters', { statusMessage: 'x'.repeat(141) }],
      ['a non-string', { displayName: ['a'] }],
    ])('rejects %s', async (_case, body) => {
      const user = await register(t.http);
      const res = await t.http.patch('/api/users/me').set(bearer(user.accessToken)).send(body).expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    });

    it('needs a token', async () => {
      await t.http.patch('/api/users/me').send({ displayName: 'x' }).expect(401);
    });

    it.each([['displayName'], ['statusMessage']])('refuses %s: null and leaves the row unchanged', async (field) => {
      const user = await register(t.http);
      const [before] = await t.db.query('SELECT * FROM users WHERE id = $1', [user.id]);
      const res = await t.http.patch('/api/users/me').set(bearer(user.accessToken)).send({ [field]: null }).expect(400);
      expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', details: [expect.objectContaining({ field })] });
      expect((await t.db.query('SELECT * FROM users WHERE id = $1', [user.id]))[0]).toEqual(before);
    });

    it('never brings back the old password when a profile edit races a password change', async () => {
      const user = await register(t.http);
      const edits = Array.from({ length: 10 }, (_, i) =>
        t.http.patch('/api/users/me').set(bearer(user.accessToken)).send({ statusMessage: `edit ${i}` }),
      );
      const change = t.http
        .put('/api/users/me/password')
        .set(bearer(user.accessToken))
        .send({ currentPassword: 'correct horse battery', newPassword: 'the new passphrase' });
      const [changed] = await Promise.all([change, ...edits]);
      expect(changed.status).toBe(200);
      await t.http.post('/api/auth/login').send({ username: user.username, password: 'correct horse battery' }).expect(401);
      await t.http.post('/api/auth/login').send({ username: user.username, password: 'the new passphrase' }).expect(200);
      await t.http.get('/api/users/me').set(bearer(changed.body.accessToken)).expect(200);
    });
  });

  describe('GET /api/users/:id', () => {
    it("returns another user's public profile", async () => {
      const caller = await register(t.http);
      const other = await register(t.http, { displayName: 'Linus' });
      const res = await t.http.get(`/api/users/${other.id}`).set(bearer(caller.accessToken)).expect(200);
      expect(res.body).toEqual({ id: other.id, username: other.username, displayName: 'Linus', avatarVersion: null, statusMessage: '' });
    });

    it('answers 404 for an unknown id and 400 for a malformed one', async () => {
      const caller = await register(t.http);
      const missing = await t.http.get('/api/users/00000000-0000-4000-8000-000000000000').set(bearer(caller.accessToken)).expect(404);
      expect(missing.body.code).toBe('USER_NOT_FOUND');
      const malformed = await t.http.get("/api/users/1' OR '1'='1").set(bearer(caller.accessToken)).expect(400);
      expect(malformed.body.code).toBe('INVALID_ID');
    });
  });

  describe('GET /api/users?search=', () => {
    const tag = uniqueUsername('s').slice(2, 8);
    let caller: Registered;
    let exact: Registered;
    let prefixed: Registered;
    let byDisplayName: Registered;
    let fuzzy: Registered;

    beforeAll(async () => {
      caller = await register(t.http, { username: `${tag}_caller` });
      exact = await register(t.http, { username: `${tag}` });
      prefixed = await register(t.http, { username: `${tag}_zed` });
      byDisplayName = await register(t.http, { username: uniqueUsername('x'), displayName: `${tag.toUpperCase()} Display` });
      fuzzy = await register(t.http, { username: uniqueUsername('q'), displayName: `Karolina ${tag}` });
      await register(t.http, { username: uniqueUsername('unrelated') });
    });

    const search = (query: Record<string, string | number>) =>
      t.http.get('/api/users').query(query).set(bearer(caller.accessToken));

    it('ranks exact username, then username prefixes, then display-name prefixes, then fuzzy matches', async () => {
      const res = await search({ search: tag.toUpperCase() }).expect(200);
      const ids = res.body.items.map((u: { id: string }) => u.id);
      expect(ids.slice(0, 3)).toEqual([exact.id, prefixed.id, byDisplayName.id]);
      expect(ids).toContain(fuzzy.id);
      expect(ids).not.toContain(caller.id);
      expect(res.body.items[0]).toEqual({ id: exact.id, username: exact.username, displayName: exact.username, avatarVersion: null });
      expect(res.body.nextCursor).toBeNull();
    });

    it('finds a user by a misspelt display name', async () => {
      const res = await search({ search: 'karolna' }).expect(200);
      expect(res.body.items.map((u: { id: string }) => u.id)).toContain(fuzzy.id);
    });

    it('pages through the results with a cursor, without repeats or gaps', async () => {
      const all = (await search({ search: tag }).expect(200)).body.items.map((u: { id: string }) => u.id);
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const res = await search({ search: tag, limit: 1, ...(cursor ? { cursor } : {}) }).expect(200);
        seen.push(...res.body.items.map((u: { id: string }) => u.id));
        cursor = res.body.nextCursor ?? undefined;
      } while (cursor);
      expect(seen).toEqual(all);
    });

    it('treats LIKE wildcards in the query as plain characters', async () => {
      const res = await search({ search: '%' }).expect(200);
      expect(res.body.items).toEqual([]);
    });

    it('answers 400, not 500, to a search holding a NUL character', async () => {
      const res = await search({ search: 'ab\u0000c' });
      expect(res.status).toBe(400);
    });

    it.each([
      ['no search term', {}, 'VALIDATION_FAILED'],
      ['an empty search term', { search: '  ' }, 'VALIDATION_FAILED'],
      ['a limit over 100', { search: 'a', limit: 101 }, 'VALIDATION_FAILED'],
      ['a limit of 0', { search: 'a', limit: 0 }, 'VALIDATION_FAILED'],
      ['a non-numeric limit', { search: 'a', limit: 'ten' }, 'VALIDATION_FAILED'],
      ['a garbage cursor', { search: 'a', cursor: 'not-a-cursor' }, 'INVALID_CURSOR'],
      ['a cursor of the wrong shape', { search: 'a', cursor: Buffer.from('{"r":"x"}').toString('base64url') }, 'INVALID_CURSOR'],
      ['an unknown parameter', { search: 'a', offset: 10 }, 'VALIDATION_FAILED'],
      ['a cursor with a fractional rank', { search: 'a', cursor: Buffer.from('{"r":1.5,"s":"0.5","u":"a"}').toString('base64url') }, 'INVALID_CURSOR'],
      ['a cursor with a huge rank', { search: 'a', cursor: Buffer.from('{"r":1e12,"s":"0.5","u":"a"}').toString('base64url') }, 'INVALID_CURSOR'],
      ['a cursor with a non-numeric score', { search: 'a', cursor: Buffer.from('{"r":1,"s":"abc","u":"a"}').toString('base64url') }, 'INVALID_CURSOR'],
      ['a cursor with a NUL character', { search: 'a', cursor: Buffer.from('{"r":1,"s":"0.5","u":"a\\u0000"}').toString('base64url') }, 'INVALID_CURSOR'],
    ])('rejects %s with 400', async (_case, query, code) => {
      const res = await search(query).expect(400);
      expect(res.body.code).toBe(code);
    });
  });
});
