import { randomBytes } from 'node:crypto';
import type TestAgent from 'supertest/lib/agent.js';

export const PASSWORD = 'correct horse battery';

export interface Registered {
  id: string;
  username: string;
  accessToken: string;
  refreshToken: string;
}

/** A username no other test in this run will pick. */
export function uniqueUsername(prefix = 'u'): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

export async function register(
  http: TestAgent,
  fields: { username?: string; password?: string; displayName?: string } = {},
): Promise<Registered> {
  const username = fields.username ?? uniqueUsername();
  const res = await http
    .post('/api/auth/register')
    .send({ password: PASSWORD, ...fields, username })
    .expect(201);
  return { id: res.body.user.id, username: res.body.user.username, accessToken: res.body.accessToken, refreshToken: res.body.refreshToken };
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
