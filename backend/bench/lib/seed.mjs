// Builds the benchmark's data set with plain SQL (seconds, where the API would take an hour), in a
// schema the backend has already migrated. Every user gets an open session, and tokens are signed
// with the server's JWT_SECRET in the shape of a token it issued itself (see `TokenMinter`).
import { createHmac } from 'node:crypto';

/**
 * Pairs of friends, each with a conversation: the first `activePairs` of them send and listen. With
 * `ciphertext` (a Megolm content) the conversations are encrypted and their messages carry it, no body.
 */
export async function seedPairs(db, { prefix, pairs, messagesPerConversation, passwordHash, expired = false, ciphertext = null }) {
  await db.query(
    `INSERT INTO users (username, display_name, password_hash)
     SELECT $1 || '_' || i, 'Bench ' || $1 || ' ' || i, $2 FROM generate_series(1, $3::int * 2) i`,
    [prefix, passwordHash, pairs],
  );
  // Pair k is (prefix(2k-1), prefix(2k)); conversations keep user_a_id < user_b_id.
  await db.query(
    `CREATE TEMP TABLE bench_pairs ON COMMIT PRESERVE ROWS AS
     SELECT k, a.id AS first_id, b.id AS second_id
     FROM generate_series(1, $2::int) k
     JOIN users a ON a.username = $1 || '_' || (2 * k - 1)
     JOIN users b ON b.username = $1 || '_' || (2 * k)`,
    [prefix, pairs],
  );
  await db.query(
    `INSERT INTO friendships (user_id, friend_id, created_at)
     SELECT first_id, second_id, now() FROM bench_pairs UNION ALL SELECT second_id, first_id, now() FROM bench_pairs`,
  );
  await db.query(
    `INSERT INTO conversations (user_a_id, user_b_id, last_seq, last_activity_at, created_at, encrypted)
     SELECT least(first_id, second_id), greatest(first_id, second_id), $1, now() - (k || ' seconds')::interval, now() - interval '1 day', $2
     FROM bench_pairs`,
    [messagesPerConversation, ciphertext !== null],
  );
  await db.query(
    `INSERT INTO conversation_members (conversation_id, user_id, last_read_seq, last_activity_at)
     SELECT c.id, u.id, $1, c.last_activity_at FROM bench_pairs p
     JOIN conversations c ON c.user_a_id = least(p.first_id, p.second_id) AND c.user_b_id = greatest(p.first_id, p.second_id)
     CROSS JOIN LATERAL (VALUES (p.first_id), (p.second_id)) u(id)`,
    [messagesPerConversation],
  );
  if (messagesPerConversation > 0) {
    // Expired ones ran out a minute ago: the sweep's work.
    const expiry = expired ? `60, 'afterSend', now() - interval '1 minute' - (s || ' milliseconds')::interval` : 'NULL, NULL, NULL';
    await db.query(
      `INSERT INTO messages (conversation_id, seq, sender_id, client_id, body, ciphertext, created_at, expires_in_seconds, expiry_mode, expires_at)
       SELECT c.id, s, CASE WHEN s % 2 = 0 THEN c.user_a_id ELSE c.user_b_id END, gen_random_uuid(),
              CASE WHEN $2::jsonb IS NULL THEN 'Message number ' || s || ' of a benchmark conversation, about as long as a real one.' END,
              $2::jsonb, now() - ((($1::int - s) + 60) || ' minutes')::interval, ${expiry}
       FROM bench_pairs p
       JOIN conversations c ON c.user_a_id = least(p.first_id, p.second_id) AND c.user_b_id = greatest(p.first_id, p.second_id)
       CROSS JOIN generate_series(1, $1::int) s`,
      [messagesPerConversation, ciphertext],
    );
  }
  const { rows } = await db.query(
    `SELECT p.k, p.first_id, p.second_id, c.id AS conversation_id
     FROM bench_pairs p
     JOIN conversations c ON c.user_a_id = least(p.first_id, p.second_id) AND c.user_b_id = greatest(p.first_id, p.second_id)
     ORDER BY p.k`,
  );
  await db.query('DROP TABLE bench_pairs');
  return rows.map((row) => ({ first: row.first_id, second: row.second_id, conversationId: row.conversation_id }));
}

/** One user with `count` conversations, each with a few messages, some of them unread. */
export async function seedInbox(db, { username, count, messagesPerConversation, passwordHash }) {
  const {
    rows: [owner],
  } = await db.query(`INSERT INTO users (username, display_name, password_hash) VALUES ($1, 'Inbox owner', $2) RETURNING id`, [
    username,
    passwordHash,
  ]);
  await db.query(
    `INSERT INTO users (username, display_name, password_hash)
     SELECT $1 || '_' || i, 'Friend ' || i, $2 FROM generate_series(1, $3::int) i`,
    [username, passwordHash, count],
  );
  await db.query(
    `INSERT INTO friendships (user_id, friend_id, created_at)
     SELECT $1::uuid, id, now() FROM users WHERE username LIKE $2 || '\\_%'
     UNION ALL SELECT id, $1::uuid, now() FROM users WHERE username LIKE $2 || '\\_%'`,
    [owner.id, username],
  );
  await db.query(
    `INSERT INTO conversations (user_a_id, user_b_id, last_seq, last_activity_at, created_at)
     SELECT least($1::uuid, id), greatest($1::uuid, id), $3, now() - (row_number() OVER () || ' minutes')::interval, now() - interval '2 days'
     FROM users WHERE username LIKE $2 || '\\_%'`,
    [owner.id, username, messagesPerConversation],
  );
  // The owner has read half of each conversation: every row has an unread count to compute.
  await db.query(
    `INSERT INTO conversation_members (conversation_id, user_id, last_read_seq, last_activity_at)
     SELECT c.id, m.id, CASE WHEN m.id = $1::uuid THEN $2::int / 2 ELSE $2::int END, c.last_activity_at
     FROM conversations c CROSS JOIN LATERAL (VALUES (c.user_a_id), (c.user_b_id)) m(id)
     WHERE $1::uuid IN (c.user_a_id, c.user_b_id)`,
    [owner.id, messagesPerConversation],
  );
  await db.query(
    `INSERT INTO messages (conversation_id, seq, sender_id, client_id, body, created_at)
     SELECT c.id, s, CASE WHEN s % 2 = 0 THEN c.user_a_id ELSE c.user_b_id END, gen_random_uuid(),
            'Inbox message ' || s, now() - (($2::int - s) || ' minutes')::interval
     FROM conversations c CROSS JOIN generate_series(1, $2::int) s
     WHERE $1::uuid IN (c.user_a_id, c.user_b_id)`,
    [owner.id, messagesPerConversation],
  );
  // The unread summary the server keeps on write, as the migration fills it in (the pairs' members read everything).
  await db.query(
    `UPDATE conversation_members m SET unread_count = u.count
       FROM conversations c CROSS JOIN LATERAL (
         SELECT count(*)::int AS count FROM messages x
          WHERE x.conversation_id = c.id AND x.seq > $2::int / 2 AND x.sender_id <> $1::uuid AND x.kind = 'message') u
      WHERE $1::uuid IN (c.user_a_id, c.user_b_id) AND m.conversation_id = c.id AND m.user_id = $1::uuid`,
    [owner.id, messagesPerConversation],
  );
  return owner.id;
}

/** Opens one session per user of `userIds`; returns userId → sessionId. */
export async function openSessions(db, userIds) {
  const { rows } = await db.query(
    `INSERT INTO sessions (user_id, created_at, expires_at, last_used_at)
     SELECT id, now(), now() + interval '30 days', now() FROM unnest($1::uuid[]) id
     RETURNING id, user_id`,
    [userIds],
  );
  return new Map(rows.map((row) => [row.user_id, row.id]));
}

/**
 * An E2EE device for each session (device id = session id), so that key shares to it are queued. The
 * keys are `template` (a real device's, as uploaded) renamed for each device: the server stores and hands
 * out device keys but never checks their signatures, clients do.
 */
export async function seedDevices(db, devices, template) {
  const rows = devices.map(({ userId, sessionId }) => {
    const matrixId = `@${userId}:iris`;
    const keys = Object.fromEntries(Object.entries(template.keys).map(([id, key]) => [`${id.split(':')[0]}:${sessionId}`, key]));
    const signatures = { [matrixId]: { [`ed25519:${sessionId}`]: Object.values(Object.values(template.signatures)[0])[0] } };
    return { ...template, user_id: matrixId, device_id: sessionId, keys, signatures };
  });
  await db.query(
    `INSERT INTO e2ee_devices (session_id, user_id, device_keys, created_at)
     SELECT s, u, k, now() FROM unnest($1::uuid[], $2::uuid[], $3::jsonb[]) AS d(s, u, k)`,
    [devices.map((d) => d.sessionId), devices.map((d) => d.userId), rows.map((row) => JSON.stringify(row))],
  );
}

function base64url(value) {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

/**
 * Signs access tokens like the server does. The claims come from a token the server issued at login,
 * so a change to their shape (issuer, audience, version…) carries over here without editing this file.
 */
export class TokenMinter {
  constructor(secret, issuedToken) {
    const [header, payload] = issuedToken.split('.');
    this.secret = secret;
    this.header = JSON.parse(Buffer.from(header, 'base64url').toString());
    this.template = JSON.parse(Buffer.from(payload, 'base64url').toString());
  }

  mint(userId, sessionId, lifetimeSeconds = 3600) {
    const iat = Math.floor(Date.now() / 1000);
    const payload = { ...this.template, sub: userId, sid: sessionId, ver: 0, iat, exp: iat + lifetimeSeconds };
    const unsigned = `${base64url(this.header)}.${base64url(payload)}`;
    const signature = createHmac('sha256', this.secret).update(unsigned).digest('base64url');
    return `${unsigned}.${signature}`;
  }
}
