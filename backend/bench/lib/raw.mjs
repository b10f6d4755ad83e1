// The raw baseline: the statements the API runs for each scenario, sent straight through `pg` with
// the same concurrency and no HTTP or framework in between.
import { randomUUID } from 'node:crypto';

// The app's own prepared statements, imported from the build so they cannot drift apart: the same
// text under the same name, parsed and planned once per connection here as there (database/prepared.ts).
const dist = new URL('../../dist/', import.meta.url);
const { SESSION_CHECK: SESSION } = await import(new URL('auth/sessions.repository.js', dist).href);
const { SEND_MESSAGE: SEND, SEND_MESSAGES: SEND_BATCH, sendBatchParameter, HISTORY_BEFORE: HISTORY } = await import(
  new URL('messages/messages.repository.js', dist).href
);
const { CONVERSATION_LIST: INBOX, FIRST_PAGE } = await import(new URL('conversations/conversations.repository.js', dist).href);

const query = (pool, statement, values) => pool.query({ ...statement, values });

/**
 * A send: send_message, the session check included, as messages.service `send` runs it; a body, or a
 * ciphertext in an encrypted conversation. Seeded users are at token version 0.
 */
export async function rawSend(pool, { userId, sessionId, conversationId, ciphertext = null }, statement = SEND) {
  const body = ciphertext ? null : 'raw baseline message';
  const {
    rows: [{ outcome }],
  } = await query(pool, statement, [sessionId, 0, conversationId, userId, randomUUID(), body, ciphertext, 'message', null, new Date(), false, null, null]);
  if (outcome !== 'created') throw new Error(`send_message answered ${outcome}`);
}

/** Several sends in one statement, as the app sends them when they queue (messages/send-batches.ts). */
export async function rawSendBatch(pool, sends) {
  const now = new Date();
  const batch = sends.map(({ userId, sessionId, conversationId }) => [sessionId, 0, conversationId, userId, randomUUID(), 'raw baseline message', null, 'message', null, now, false, null, null]);
  // In conversation order, as the app sorts a batch.
  batch.sort((a, b) => (a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0));
  const { rows } = await query(pool, SEND_BATCH, [sendBatchParameter(batch)]);
  const refused = rows.find((row) => row.outcome !== 'created');
  if (rows.length !== sends.length || refused) throw new Error(`the batch answered ${refused?.outcome ?? `${rows.length} rows`}`);
}

/** The app's session check; a session it refuses would make the baseline cheaper than the app, so it fails the run. */
export async function checkSession(pool, userId, sessionId) {
  const { rows } = await query(pool, SESSION, [sessionId, userId, 0, new Date()]);
  if (rows.length !== 1) throw new Error('the session check refused the bench session');
}

/** The newest page of a conversation: authenticate, then membership, 51 rows and their attachments in one statement. */
export async function rawHistory(pool, { userId, sessionId, conversationId }) {
  await checkSession(pool, userId, sessionId);
  const { rows } = await query(pool, HISTORY, [conversationId, userId, 2147483647, new Date(), 51]);
  return rows.length;
}

/** The first page of the conversation list (50 rows) with last message and unread counts. */
export async function rawInbox(pool, { userId, sessionId }) {
  await checkSession(pool, userId, sessionId);
  const { rows } = await query(pool, INBOX, [userId, FIRST_PAGE.t, FIRST_PAGE.id, 51, new Date()]);
  return rows;
}

/** The history statement with its parameters filled in, for EXPLAIN. */
export function historyForExplain(conversationId, userId) {
  return HISTORY.text
    .replace('$1', `'${conversationId}'`)
    .replace('$2', `'${userId}'`)
    .replace('$3', '2147483647')
    .replace('$4', 'now()')
    .replace('$5', '51');
}
