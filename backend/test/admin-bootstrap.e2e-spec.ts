import { jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { AdminAccountsService } from '../src/admin/admin-accounts.service.js';
import { AdminBootstrapService } from '../src/admin/admin-bootstrap.service.js';
import { checkAdminPassword, createAdmin } from '../src/cli/admin-create.js';
import { readFirstLine } from '../src/cli/password-prompt.js';
import { loadConfig } from '../src/config/app-config.js';
import { createTestApp, TEST_JWT_SECRET, testServerUrl, type TestApp } from './helpers/test-app.js';
import { bearer, PASSWORD, register, type Registered, uniqueUsername } from './helpers/users.js';

const ADMIN_PASSWORD = 'first-admin-password';
/** A second app on the same database needs PostgreSQL: in-memory PGlite belongs to the app that opened it. */
const postgresIt: (name: string, fn: () => Promise<void>) => void = testServerUrl()
  ? it
  : (name, fn) => it.skip(`${name} [skipped on PGlite: needs TEST_DATABASE_URL to start a second instance on the same database]`, fn);

describe('first admin (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ ADMIN_USERNAME: 'Root.Admin', ADMIN_PASSWORD });
  });
  afterAll(() => t.close());

  const signIn = (username: string, password: string) => t.http.post('/api/auth/login').send({ username, password });
  const adminRow = async (username: string) =>
    (await t.db.query(`SELECT id, role, password_hash, updated_at FROM users WHERE username = $1`, [username])) as {
      id: string;
      role: string;
      password_hash: string;
      updated_at: Date;
    }[];

  describe('ADMIN_USERNAME / ADMIN_PASSWORD at boot', () => {
    it('creates the admin under the lower-cased name; it signs in and reaches the admin routes', async () => {
      const res = await signIn('root.admin', ADMIN_PASSWORD).expect(200);
      expect(res.body.user).toMatchObject({ username: 'root.admin', displayName: 'root.admin', role: 'admin' });
      await t.http.get('/api/admin/jobs').set(bearer(res.body.accessToken)).expect(200);
      await t.http.get('/api/admin/users').set(bearer(res.body.accessToken)).expect(200);
      expect(await adminRow('root.admin')).toHaveLength(1);
    });

    postgresIt('leaves the account alone when another instance starts with a different ADMIN_PASSWORD', async () => {
      const before = await adminRow('root.admin');
      const second = await createTestApp({ ADMIN_USERNAME: 'root.admin', ADMIN_PASSWORD: 'a-different-password' }, { sameDatabaseAs: t });
      try {
        await second.http.post('/api/auth/login').send({ username: 'root.admin', password: 'a-different-password' }).expect(401);
        await second.http.post('/api/auth/login').send({ username: 'root.admin', password: ADMIN_PASSWORD }).expect(200);
        expect(await adminRow('root.admin')).toEqual(before);
      } finally {
        await second.app.close();
      }
    });

    postgresIt('creates the admin exactly once when several instances start at the same time', async () => {
      const env = { ADMIN_USERNAME: 'race_admin', ADMIN_PASSWORD };
      const instances = await Promise.all([1, 2, 3].map(() => createTestApp(env, { sameDatabaseAs: t })));
      try {
        expect(await adminRow('race_admin')).toEqual([expect.objectContaining({ role: 'admin' })]);
        await signIn('race_admin', ADMIN_PASSWORD).expect(200);
      } finally {
        await Promise.all(instances.map((instance) => instance.app.close()));
      }
    });

    it('never promotes or changes an existing user of that name', async () => {
      const user = await register(t.http);
      const before = await adminRow(user.username);
      const config = loadConfig({ NODE_ENV: 'test', JWT_SECRET: TEST_JWT_SECRET, ADMIN_USERNAME: user.username, ADMIN_PASSWORD: 'not-their-password' });
      await new AdminBootstrapService(config, t.app.get(AdminAccountsService)).onApplicationBootstrap();
      expect(await adminRow(user.username)).toEqual(before);
      expect(before[0].role).toBe('user');
      await signIn(user.username, PASSWORD).expect(200);
    });
  });

  describe('access to the admin routes', () => {
    let regular: Registered;
    beforeAll(async () => {
      regular = await register(t.http);
    });

    const routes = () => [
      t.http.get('/api/admin/users'),
      t.http.get('/api/admin/jobs'),
      t.http.get('/api/admin/audit'),
      t.http.delete(`/api/admin/users/${regular.id}`),
    ];

    it('answers 403 to a signed-in user who is not an admin, and erases nothing', async () => {
      for (const route of routes()) {
        const res = await route.set(bearer(regular.accessToken)).expect(403);
        expect(res.body).toMatchObject({ statusCode: 403, code: 'FORBIDDEN' });
      }
      expect(await adminRow(regular.username)).toHaveLength(1);
    });

    it('answers 401 without a token', async () => {
      for (const route of routes()) await route.expect(401);
    });
  });

  describe('npm run admin:create (the work after boot)', () => {
    const password = (value: string) => () => Promise.resolve(value);

    it('creates an admin with the given password, the username lower-cased like registration does', async () => {
      const username = uniqueUsername('Ops');
      const outcome = await createAdmin(t.app, { username: ` ${username} `, promote: false, password: password('cli-admin-password') });
      expect(outcome).toBe('created');
      const res = await signIn(username.toLowerCase(), 'cli-admin-password').expect(200);
      expect(res.body.user.role).toBe('admin');
    });

    it('refuses an existing username without --promote, and asks for no password', async () => {
      const user = await register(t.http);
      const asked = jest.fn(password('unused-password'));
      await expect(createAdmin(t.app, { username: user.username, promote: false, password: asked })).rejects.toThrow(
        `"${user.username}" already exists (a user); add --promote`,
      );
      expect(asked).not.toHaveBeenCalled();
      expect((await adminRow(user.username))[0].role).toBe('user');
    });

    it('promotes an existing user with --promote, keeping their password and session', async () => {
      const user = await register(t.http);
      const asked = jest.fn(password('unused-password'));
      expect(await createAdmin(t.app, { username: user.username, promote: true, password: asked })).toBe('promoted');
      expect(asked).not.toHaveBeenCalled();
      await t.http.get('/api/admin/jobs').set(bearer(user.accessToken)).expect(200);
      await signIn(user.username, PASSWORD).expect(200);
      expect(await createAdmin(t.app, { username: user.username, promote: true, password: asked })).toBe('already-admin');
    });

    it.each([
      ['shorter than 8 characters', 'short12'],
      ['longer than 128 characters', 'x'.repeat(129)],
    ])('refuses a password %s and creates nothing', async (_case, value) => {
      const username = uniqueUsername('weak');
      await expect(createAdmin(t.app, { username, promote: false, password: password(value) })).rejects.toThrow(
        'The password must be 8–128 characters long',
      );
      expect(await adminRow(username)).toHaveLength(0);
    });

    it('wants at least 12 characters in production, like ADMIN_PASSWORD', () => {
      expect(() => checkAdminPassword('eleven-char', true)).toThrow('at least 12 characters long in production');
      expect(() => checkAdminPassword('eleven-char', false)).not.toThrow();
      expect(() => checkAdminPassword('twelve-chars', true)).not.toThrow();
    });

    it('refuses a username that registration would refuse', async () => {
      await expect(createAdmin(t.app, { username: 'no spaces', promote: false, password: password(ADMIN_PASSWORD) })).rejects.toThrow(
        'username must be 3–32 characters',
      );
    });

    it('reads a piped password from the first line only', async () => {
      const input = new PassThrough();
      input.end(`${ADMIN_PASSWORD}\r\nsecond line ${randomUUID()}\n`);
      await expect(readFirstLine(input)).resolves.toBe(ADMIN_PASSWORD);
      const unterminated = new PassThrough();
      unterminated.end('no-newline-password');
      await expect(readFirstLine(unterminated)).resolves.toBe('no-newline-password');
    });
  });
});
