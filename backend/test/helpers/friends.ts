import type TestAgent from 'supertest/lib/agent.js';
import { bearer, type Registered, register } from './users.js';

/** Makes `a` and `b` friends over HTTP: `a` sends the request, `b` accepts it. */
export async function befriend(http: TestAgent, a: Registered, b: Registered): Promise<void> {
  const sent = await http.post('/api/friends/requests').set(bearer(a.accessToken)).send({ userId: b.id }).expect(201);
  await http.post(`/api/friends/requests/${sent.body.request.id}/accept`).set(bearer(b.accessToken)).expect(200);
}

/**
 * Opens (or finds) the conversation of `a` with their friend `b`, and returns its id: plaintext unless
 * asked otherwise (E2EE_DEFAULT is on, but most specs check rules that do not depend on encryption).
 */
export async function openConversation(http: TestAgent, a: Registered, b: Registered, { encrypted = false }: { encrypted?: boolean } = {}): Promise<string> {
  const res = await http.post('/api/conversations').set(bearer(a.accessToken)).send({ userId: b.id, encrypted });
  if (res.status !== 201 && res.status !== 200) {
    throw new Error(`opening a conversation answered ${res.status}: ${JSON.stringify(res.body)}`);
  }
  return res.body.id as string;
}

/** Two new users who are friends, with their conversation open (plaintext unless asked): where most messaging specs start. */
export async function friendsInConversation(
  http: TestAgent,
  { encrypted = false }: { encrypted?: boolean } = {},
): Promise<{ alice: Registered; bob: Registered; conversationId: string }> {
  const alice = await register(http);
  const bob = await register(http);
  await befriend(http, alice, bob);
  return { alice, bob, conversationId: await openConversation(http, alice, bob, { encrypted }) };
}
