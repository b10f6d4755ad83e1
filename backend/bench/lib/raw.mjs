// The raw baseline: the statements the API runs for each scenario, sent straight through `pg` with
// the same concurrency and no HTTP or framework in between. Keep them in step with the services
// (auth.service authenticate, conversations.service getMembership/query, messages.service send/history).
import { randomUUID } from 'node:crypto';

const SESSION = `SELECT s.id, s.expires_at, s.revoked_at, u.id AS user_id, u.role, u.token_version
  FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1 AND s.user_id = $2`;

const MEMBERSHIP = `SELECT m.last_read_seq, c.id, c.user_a_id, c.user_b_id, c.last_seq, c.default_expires_in_seconds, c.default_expiry_mode
  FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id
  WHERE m.conversation_id = $1 AND m.user_id = $2`;

const RELATIONSHIP = `SELECT EXISTS (SELECT 1 FROM friendships WHERE user_id = $1 AND friend_id = $2) AS friends,
  EXISTS (SELECT 1 FROM blocks WHERE blocker_id = $1 AND blocked_id = $2) AS blocked_by_me,
  EXISTS (SELECT 1 FROM blocks WHERE blocker_id = $2 AND blocked_id = $1) AS blocked_me`;

const INBOX = `WITH page AS (
    SELECT c.id, c.last_activity_at, c.default_expires_in_seconds, c.default_expiry_mode, m.last_read_seq,
      CASE WHEN c.user_a_id = $1 THEN c.user_b_id ELSE c.user_a_id END AS peer_id
    FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id
    WHERE m.user_id = $1 AND ($2::timestamptz IS NULL OR (c.last_activity_at, c.id) < ($2::timestamptz, $3::uuid))
    ORDER BY c.last_activity_at DESC, c.id DESC LIMIT $4
  )
  SELECT page.id, page.last_activity_at, page.default_expires_in_seconds, page.default_expiry_mode,
    peer.id AS peer_id, peer.username::text AS peer_username, peer.display_name AS peer_display_name,
    to_jsonb(last_message) AS last_message, unread.count AS unread_count,
    (SELECT jsonb_agg(to_jsonb(a) ORDER BY a.position) FROM attachments a WHERE a.message_id = last_message.id) AS last_message_attachments
  FROM page
  LEFT JOIN users peer ON peer.id = page.peer_id
  LEFT JOIN LATERAL (
    SELECT x.* FROM messages x WHERE x.conversation_id = page.id AND (x.expires_at IS NULL OR x.expires_at > $5)
    ORDER BY x.seq DESC LIMIT 1
  ) last_message ON true
  CROSS JOIN LATERAL (
    SELECT count(*)::int AS count FROM messages x
    WHERE x.conversation_id = page.id AND x.seq > page.last_read_seq AND x.sender_id <> $1 AND x.deleted_at IS NULL
      AND (x.expires_at IS NULL OR x.expires_at > $5)
  ) unread
  ORDER BY page.last_activity_at DESC, page.id DESC`;

/** A send: authenticate, membership, idempotency lookup, then the write under the pair lock. */
export async function rawSend(pool, { userId, sessionId, peerId, conversationId }) {
  await pool.query(SESSION, [sessionId, userId]);
  await pool.query(MEMBERSHIP, [conversationId, userId]);
  const clientId = randomUUID();
  await pool.query('SELECT * FROM messages WHERE sender_id = $1 AND client_id = $2 LIMIT 1', [userId, clientId]);
  const client = await pool.connect();
  try {
    await client.query('START TRANSACTION');
    const pair = userId < peerId ? `${userId}:${peerId}` : `${peerId}:${userId}`;
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [pair]);
    await client.query(RELATIONSHIP, [userId, peerId]);
    const now = new Date();
    const {
      rows: [{ last_seq: seq }],
    } = await client.query('UPDATE conversations SET last_seq = last_seq + 1, last_activity_at = $2 WHERE id = $1 RETURNING last_seq', [
      conversationId,
      now,
    ]);
    await client.query(
      `INSERT INTO messages (id, conversation_id, seq, sender_id, client_id, body, created_at, edited_at, deleted_at, expires_in_seconds, expiry_mode, expires_at)
       VALUES (DEFAULT, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING RETURNING *`,
      [conversationId, seq, userId, clientId, 'raw baseline message', now, null, null, null, null, null],
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}

/** The newest page of a conversation: authenticate, membership, 51 rows, their attachments. */
export async function rawHistory(pool, { userId, sessionId, conversationId }) {
  await pool.query(SESSION, [sessionId, userId]);
  await pool.query(MEMBERSHIP, [conversationId, userId]);
  const { rows } = await pool.query(
    `SELECT * FROM messages m WHERE m.conversation_id = $1 AND m.seq < $2 AND (m.expires_at IS NULL OR m.expires_at > $3)
     ORDER BY m.seq DESC LIMIT 51`,
    [conversationId, 2147483647, new Date()],
  );
  await pool.query('SELECT * FROM attachments a WHERE a.message_id = ANY($1) ORDER BY a.message_id, a.position', [rows.map((row) => row.id)]);
  return rows.length;
}

/** The first page of the conversation list (50 rows) with last message and unread counts. */
export async function rawInbox(pool, { userId, sessionId }) {
  await pool.query(SESSION, [sessionId, userId]);
  const { rows } = await pool.query(INBOX, [userId, null, null, 51, new Date()]);
  return rows.length;
}

export const HISTORY_SQL_FOR_EXPLAIN = `SELECT * FROM messages m WHERE m.conversation_id = $1 AND m.seq < 2147483647
  AND (m.expires_at IS NULL OR m.expires_at > now()) ORDER BY m.seq DESC LIMIT 51`;
