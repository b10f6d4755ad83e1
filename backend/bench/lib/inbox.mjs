// The conversation list as it was before the per-member summary (docs/performance.md#inbox): it sorts
// every conversation of the user to find the page and counts each row's unread messages. Kept as a
// second raw baseline, so that one run shows before and after on the same data.
import { checkSession } from './raw.mjs';
import { Samples } from './stats.mjs';

const BEFORE = {
  name: 'bench_inbox_before',
  text: `WITH page AS (
         SELECT c.id, c.last_activity_at, c.default_expires_in_seconds, c.default_expiry_mode, c.encrypted, m.last_read_seq, m.muted,
                CASE WHEN c.user_a_id = $1 THEN c.user_b_id ELSE c.user_a_id END AS peer_id
           FROM conversation_members m
          CROSS JOIN LATERAL (SELECT * FROM conversations c WHERE c.id = m.conversation_id OFFSET 0) c
          WHERE m.user_id = $1 AND ($2::timestamptz IS NULL OR (c.last_activity_at, c.id) < ($2::timestamptz, $3::uuid))
          ORDER BY c.last_activity_at DESC, c.id DESC
          LIMIT $4
       )
       SELECT page.id, page.last_activity_at, page.default_expires_in_seconds, page.default_expiry_mode, page.encrypted, page.muted,
              peer.id AS peer_id, peer.username::text AS peer_username, peer.display_name AS peer_display_name,
              CASE WHEN peer.avatar_id IS NOT NULL AND profile_visible($1, peer.id) THEN peer.avatar_id END AS peer_avatar_id,
              EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = $1 AND b.blocked_id = page.peer_id) AS blocked_by_me,
              EXISTS (SELECT 1 FROM friendships f WHERE f.user_id = $1 AND f.friend_id = page.peer_id) AS friends,
              to_jsonb(last_message) AS last_message, unread.count AS unread_count, peer_member.last_read_seq AS peer_last_read_seq,
              (SELECT jsonb_agg(to_jsonb(a) ORDER BY a.position) FROM attachments a WHERE a.message_id = last_message.id)
                AS last_message_attachments
         FROM page
         LEFT JOIN users peer ON peer.id = page.peer_id
         LEFT JOIN conversation_members peer_member ON peer_member.conversation_id = page.id AND peer_member.user_id = page.peer_id
         LEFT JOIN LATERAL (
           SELECT x.* FROM messages x
            WHERE x.conversation_id = page.id AND x.kind = 'message' AND (x.expires_at IS NULL OR x.expires_at > $5)
            ORDER BY x.seq DESC LIMIT 1
         ) last_message ON true
         CROSS JOIN LATERAL (
           SELECT count(*)::int AS count FROM messages x
            WHERE x.conversation_id = page.id AND x.seq > page.last_read_seq AND x.sender_id <> $1
              AND x.kind = 'message' AND x.deleted_at IS NULL AND (x.expires_at IS NULL OR x.expires_at > $5)
         ) unread
        ORDER BY page.last_activity_at DESC, page.id DESC`,
};

/** The first page (50 rows) as the list computed it before the summary: authenticate, then the old statement. */
export async function rawInboxBefore(pool, { userId, sessionId }) {
  await checkSession(pool, userId, sessionId);
  const { rows } = await pool.query({ ...BEFORE, values: [userId, null, null, 51, new Date()] });
  return rows;
}

/** Whether the summary's first page is the old statement's (order, unread counts, last messages), row for row. */
export async function inboxAgrees(pool, owner, rawInbox) {
  const view = (rows) =>
    JSON.stringify(rows.map((row) => [row.id, new Date(row.last_activity_at).toISOString(), row.unread_count, row.last_message?.id ?? null]));
  return view(await rawInbox(pool, owner)) === view(await rawInboxBefore(pool, owner));
}

/**
 * What keeping the summary costs a send, on the raw baseline: send_message against a copy of itself
 * without the member rows' update (installed here as bench_send_message_before), in alternating turns
 * so that both see the same machine. `sendTo(statement)` answers a closed-loop operation sending with it.
 */
export async function sendSummaryCost(pool, { sendTo, concurrency, seconds, turns = 4 }) {
  const dist = new URL('../../dist/', import.meta.url);
  const { schemaFunctions } = await import(new URL('database/schema/functions.js', dist).href);
  const current = schemaFunctions.find((fn) => fn.signature.startsWith('send_message(')).sql;
  const withoutSummary = current
    .replace('FUNCTION "send_message"(', 'FUNCTION "bench_send_message_before"(')
    .replace(/\n {2}UPDATE conversation_members\n[\s\S]*?WHERE conversation_id = p_conversation_id;/, '');
  if (withoutSummary.includes('conversation_members\n     SET') || !withoutSummary.includes('bench_send_message_before')) {
    throw new Error('could not take the summary update out of send_message');
  }
  await pool.query(withoutSummary);
  const before = { name: 'bench_send_before', text: 'SELECT outcome, peer_id, message FROM bench_send_message_before($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)' };
  const samples = { before: new Samples(), after: new Samples() };
  const elapsed = { before: 0, after: 0 };
  for (let turn = 0; turn < 2 * turns; turn++) {
    const which = turn % 2 === 0 ? 'before' : 'after';
    const operation = sendTo(which === 'before' ? before : undefined);
    const started = performance.now();
    const deadline = started + (seconds * 1000) / (2 * turns);
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < deadline) {
          const start = performance.now();
          try {
            await operation(null, next++);
            samples[which].add(performance.now() - start);
          } catch {
            samples[which].errors += 1;
          }
        }
      }),
    );
    elapsed[which] += (performance.now() - started) / 1000;
  }
  await pool.query('DROP FUNCTION bench_send_message_before');
  return { before: samples.before.summary(elapsed.before), after: samples.after.summary(elapsed.after) };
}

/**
 * What the unread trigger costs the expiry sweep: `rows` expired messages, unread by the peer (the
 * trigger's most work), inserted in `conversations` of the seed and deleted with the sweep's own
 * statement in its batches, with the trigger on and off in alternating turns. Each turn is rolled back,
 * so the data set is left as it was.
 */
export async function sweepTriggerCost(db, { conversationIds, rows, batchSize, turns = 2 }) {
  const dist = new URL('../../dist/', import.meta.url);
  const { SWEEP_BATCH } = await import(new URL('messages/messages.repository.js', dist).href);
  const elapsed = { on: 0, off: 0 };
  const deleted = { on: 0, off: 0 };
  for (let turn = 0; turn < 2 * turns; turn++) {
    const trigger = turn % 2 === 0 ? 'off' : 'on';
    await db.query('BEGIN');
    try {
      if (trigger === 'off') await db.query('ALTER TABLE messages DISABLE TRIGGER "TRG_messages_unread_of_deleted"');
      const perConversation = Math.ceil(rows / conversationIds.length);
      await db.query(
        `INSERT INTO messages (conversation_id, seq, sender_id, client_id, body, created_at, expires_in_seconds, expiry_mode, expires_at)
         SELECT c.id, c.last_seq + s, CASE WHEN s % 2 = 0 THEN c.user_a_id ELSE c.user_b_id END, gen_random_uuid(),
                'Expired, never read ' || s, now() - interval '1 hour', 60, 'afterSend', now() - interval '1 minute' - (s || ' ms')::interval
           FROM conversations c CROSS JOIN generate_series(1, $2::int) s WHERE c.id = ANY($1)`,
        [conversationIds, perConversation],
      );
      const started = performance.now();
      let from = '-infinity';
      for (;;) {
        const result = await db.query(SWEEP_BATCH, [new Date(), from, batchSize]);
        const count = result.rows.reduce((sum, row) => sum + row.count, 0);
        deleted[trigger] += count;
        if (count < batchSize) break;
        from = result.rows[0].until;
      }
      elapsed[trigger] += (performance.now() - started) / 1000;
    } finally {
      await db.query('ROLLBACK');
    }
  }
  return { onRowsPerSecond: deleted.on / elapsed.on, offRowsPerSecond: deleted.off / elapsed.off };
}

/**
 * The first page's latency on one connection with nothing else in flight, the old statement and the
 * summary's in turn, `count` times each: what the statement itself costs, without the queueing of 64
 * requests on the machine's cores. Medians and p99, in milliseconds.
 */
export async function inboxStatementTimes(pool, owner, rawInbox, count = 200) {
  const client = await pool.connect();
  const single = { query: (statement) => client.query(statement) };
  const times = { before: new Samples(), after: new Samples() };
  try {
    for (let i = 0; i < 2 * count; i++) {
      const which = i % 2 === 0 ? 'before' : 'after';
      const start = performance.now();
      await (which === 'before' ? rawInboxBefore(single, owner) : rawInbox(single, owner));
      times[which].add(performance.now() - start);
    }
  } finally {
    client.release();
  }
  const { before, after } = { before: times.before.summary(1), after: times.after.summary(1) };
  return { before: { p50: before.p50, p99: before.p99 }, after: { p50: after.p50, p99: after.p99 } };
}
