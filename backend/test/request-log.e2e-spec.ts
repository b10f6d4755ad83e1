import { randomUUID } from 'node:crypto';
import { befriend, openConversation } from './helpers/friends.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';
import { bearer, PASSWORD, register } from './helpers/users.js';

type Line = { level: number; msg: string; req?: { method: string; url: string }; res?: { statusCode: number }; responseTime?: number };

describe('the request log (e2e)', () => {
  describe('at debug: every answer', () => {
    const lines: string[] = [];
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ LOG_LEVEL: 'debug' }, { logStream: { write: (line) => void lines.push(line) } });
    });
    afterAll(() => t.close());

    it('keeps no id of an erased account: URLs are logged as their route pattern, without ids or query', async () => {
      const [alice, bob] = [await register(t.http), await register(t.http)];
      await befriend(t.http, alice, bob);
      const conversationId = await openConversation(t.http, alice, bob);
      await t.http.get(`/api/users/${bob.id}`).set(bearer(alice.accessToken));
      await t.http.get(`/api/conversations/${conversationId}/messages?after=0`).set(bearer(bob.accessToken)).expect(200);
      await t.http.get(`/api/no-such-route/${bob.id}`).set(bearer(alice.accessToken)).expect(404);
      await t.http.delete('/api/users/me').set(bearer(bob.accessToken)).send({ password: PASSWORD }).expect(200);

      const log = lines.join('');
      expect(log).toContain('"url":"/api/conversations/:id/messages"');
      expect(log).toContain('"url":"/api/no-such-route/:id"');
      expect(log).not.toContain(bob.id);
      expect(log).not.toContain(conversationId);
      expect(log).not.toContain(bob.username);
    });
  });

  describe('at info (the default): refusals and failures, not every message sent', () => {
    const lines: string[] = [];
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ LOG_LEVEL: 'info' }, { logStream: { write: (line) => void lines.push(line) } });
    });
    afterAll(() => t.close());

    const answers = () =>
      lines
        .map((line) => JSON.parse(line) as Line)
        .filter((line) => line.msg === 'request completed')
        .map((line) => `${line.req?.method} ${line.req?.url} ${line.res?.statusCode}`);

    it('writes one line for a refused request and none for a message sent', async () => {
      const [alice, bob] = [await register(t.http), await register(t.http)];
      await befriend(t.http, alice, bob);
      const conversationId = await openConversation(t.http, alice, bob);
      lines.length = 0;
      await t.http.post(`/api/conversations/${conversationId}/messages`).set(bearer(alice.accessToken)).send({ clientId: randomUUID(), body: 'Hi' }).expect(201);
      await t.http.post(`/api/conversations/${conversationId}/messages`).set(bearer(alice.accessToken)).send({ clientId: 'not a uuid', body: 'Hi' }).expect(400);
      await t.http.get('/api/users/me').expect(401);

      expect(answers()).toEqual(['POST /api/conversations/:id/messages 400', 'GET /api/users/me 401']);
      expect(lines.join('')).not.toContain('incoming request');
    });
  });
});
