/**
 * The database functions, as they should be: the one source of their text. A migration applies them
 * (CREATE OR REPLACE); `npm run migration:check` and test/database.e2e-spec.ts fail when a migrated
 * database holds other definitions, and `npm run migration:generate` writes the migration that brings
 * it in line. Listed in creation order: a LANGUAGE sql body is checked against what exists already.
 */
export interface SchemaFunction {
  /** The name and argument types, as DROP FUNCTION takes them. */
  readonly signature: string;
  readonly sql: string;
}

/**
 * Serialises friend operations and writes on one pair of users, whichever of the two starts them:
 * a transaction-scoped advisory lock keyed on the pair (uuid order is the order of their lowercase text).
 */
const LOCK_PAIR: SchemaFunction = {
  signature: 'lock_pair(uuid, uuid)',
  sql: `CREATE OR REPLACE FUNCTION "lock_pair"(p_user_id uuid, p_other_id uuid) RETURNS void
  LANGUAGE sql VOLATILE AS $$
  SELECT pg_advisory_xact_lock(hashtextextended(
    LEAST(p_user_id, p_other_id)::text || ':' || GREATEST(p_user_id, p_other_id)::text, 0))
$$`,
};

/**
 * The role of the user whose session this is, if the session is still open: it belongs to the user,
 * is neither revoked nor expired at `p_now`, and the token's version is the user's. A set-returning
 * LANGUAGE sql function, so the planner inlines it into the statement that calls it.
 */
const VALID_SESSION: SchemaFunction = {
  signature: 'valid_session(uuid, uuid, integer, timestamptz)',
  sql: `CREATE OR REPLACE FUNCTION "valid_session"(p_session_id uuid, p_user_id uuid, p_token_version integer, p_now timestamptz)
  RETURNS TABLE ("role" varchar)
  LANGUAGE sql STABLE AS $$
  SELECT u.role FROM sessions s JOIN users u ON u.id = s.user_id
   WHERE s.id = p_session_id AND s.user_id = p_user_id AND s.revoked_at IS NULL
     AND s.expires_at > p_now AND u.token_version = p_token_version
$$`,
};

/**
 * Why `p_sender_id` may not write to `p_peer_id`, or null when it may: the peer erased (`PEER_GONE`),
 * a block either way (`BLOCKED`), not friends (`NOT_FRIENDS`). Checked under the pair lock that
 * blocking and unfriending take, so a write never lands after a block or unfriend commits: call it
 * inside the writing transaction.
 */
const WRITE_REFUSAL: SchemaFunction = {
  signature: 'write_refusal(uuid, uuid)',
  sql: `CREATE OR REPLACE FUNCTION "write_refusal"(p_sender_id uuid, p_peer_id uuid) RETURNS text
  LANGUAGE plpgsql AS $$
BEGIN
  IF p_peer_id IS NULL THEN
    RETURN 'PEER_GONE';
  END IF;
  PERFORM lock_pair(p_sender_id, p_peer_id);
  IF EXISTS (SELECT 1 FROM blocks
              WHERE (blocker_id = p_sender_id AND blocked_id = p_peer_id) OR (blocker_id = p_peer_id AND blocked_id = p_sender_id)) THEN
    RETURN 'BLOCKED';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM friendships WHERE user_id = p_sender_id AND friend_id = p_peer_id) THEN
    RETURN 'NOT_FRIENDS';
  END IF;
  RETURN NULL;
END
$$`,
};

/**
 * A send as one statement. Its rules are those of MessagesService.send, which calls it and maps its outcome:
 * - first the session (the send route is @SessionCheckedByHandler, so the guard only verifies the
 *   token): not open means `SESSION_REVOKED` before anything is read or written; a null session is
 *   the process sending for a user itself, as the seed does. The session is the sender's device;
 * - not a member: `CONVERSATION_NOT_FOUND`, whatever the clientId;
 * - a clientId the sender already used: `replayed` with the stored row, checked before any lock;
 * - content that does not fit the conversation: `ENCRYPTION_MISMATCH` (an encrypted one takes a
 *   ciphertext and no body, a plaintext one never a ciphertext);
 * - then `write_refusal`, under the pair lock;
 * - `relatesTo` must be a message (not a reaction) of this conversation, neither deleted nor expired:
 *   else `RELATED_MESSAGE_NOT_FOUND`. It stays locked (FOR SHARE) until the commit, so a delete or the
 *   sweep that removes it with its reactions cannot miss this one;
 * - otherwise `created`: the conversation row is locked by the UPDATE that takes the next seq, so seq
 *   order is commit order; the UPDATE checks the encryption again, as turning it on may have committed
 *   since it was read. Both members' list summaries follow: the activity that orders the list, and the
 *   peer's unread count for a message (not a reaction).
 * A concurrent retry that inserted the same clientId first raises SQLSTATE IR409, rolling back the seq.
 */
const SEND_MESSAGE: SchemaFunction = {
  signature: 'send_message(uuid, integer, uuid, uuid, uuid, text, jsonb, varchar, uuid, timestamptz, boolean, integer, varchar)',
  sql: `CREATE OR REPLACE FUNCTION "send_message"(
    p_session_id uuid, p_token_version integer,
    p_conversation_id uuid, p_sender_id uuid, p_client_id uuid, p_body text, p_ciphertext jsonb,
    p_kind varchar, p_relates_to uuid, p_now timestamptz,
    p_timer_given boolean, p_expires_in_seconds integer, p_expiry_mode varchar)
  RETURNS TABLE ("outcome" text, "peer_id" uuid, "message" jsonb)
  LANGUAGE plpgsql AS $$
DECLARE
  v_conversation conversations;
  v_peer_id uuid;
  v_previous messages;
  v_refusal text;
  v_expires_in integer;
  v_mode varchar;
  v_seq integer;
  v_message messages;
BEGIN
  IF p_session_id IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM valid_session(p_session_id, p_sender_id, p_token_version, p_now)) THEN
    RETURN QUERY SELECT 'SESSION_REVOKED', NULL::uuid, NULL::jsonb;
    RETURN;
  END IF;

  SELECT c.* INTO v_conversation
    FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id
   WHERE m.conversation_id = p_conversation_id AND m.user_id = p_sender_id;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'CONVERSATION_NOT_FOUND', NULL::uuid, NULL::jsonb;
    RETURN;
  END IF;
  v_peer_id := CASE WHEN v_conversation.user_a_id = p_sender_id THEN v_conversation.user_b_id ELSE v_conversation.user_a_id END;

  SELECT * INTO v_previous FROM messages WHERE sender_id = p_sender_id AND client_id = p_client_id;
  IF FOUND THEN
    RETURN QUERY SELECT 'replayed', v_peer_id, to_jsonb(v_previous);
    RETURN;
  END IF;

  IF v_conversation.encrypted <> (p_ciphertext IS NOT NULL) OR (p_ciphertext IS NOT NULL AND p_body IS NOT NULL) THEN
    RETURN QUERY SELECT 'ENCRYPTION_MISMATCH', v_peer_id, NULL::jsonb;
    RETURN;
  END IF;

  v_refusal := write_refusal(p_sender_id, v_peer_id);
  IF v_refusal IS NOT NULL THEN
    RETURN QUERY SELECT v_refusal, v_peer_id, NULL::jsonb;
    RETURN;
  END IF;

  IF p_relates_to IS NOT NULL THEN
    PERFORM 1 FROM messages
     WHERE id = p_relates_to AND conversation_id = p_conversation_id AND kind = 'message'
       AND deleted_at IS NULL AND (expires_at IS NULL OR expires_at > p_now)
       FOR SHARE;
    IF NOT FOUND THEN
      RETURN QUERY SELECT 'RELATED_MESSAGE_NOT_FOUND', v_peer_id, NULL::jsonb;
      RETURN;
    END IF;
  END IF;

  -- A timer left out takes the conversation's default; a zero or null timer has no mode.
  v_expires_in := CASE WHEN p_timer_given THEN p_expires_in_seconds ELSE v_conversation.default_expires_in_seconds END;
  v_mode := CASE WHEN COALESCE(v_expires_in, 0) <> 0 THEN COALESCE(p_expiry_mode, v_conversation.default_expiry_mode) END;

  UPDATE conversations SET last_seq = last_seq + 1, last_activity_at = p_now
   WHERE id = p_conversation_id AND encrypted = v_conversation.encrypted RETURNING last_seq INTO v_seq;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'ENCRYPTION_MISMATCH', v_peer_id, NULL::jsonb;
    RETURN;
  END IF;
  INSERT INTO messages (conversation_id, seq, sender_id, client_id, body, ciphertext, sender_device_id, kind, relates_to,
                        created_at, expires_in_seconds, expiry_mode, expires_at)
  VALUES (p_conversation_id, v_seq, p_sender_id, p_client_id, p_body, p_ciphertext, p_session_id, p_kind, p_relates_to,
          p_now, v_expires_in, v_mode,
          CASE WHEN v_mode = 'afterSend' THEN p_now + v_expires_in * interval '1 second' END)
  ON CONFLICT DO NOTHING
  RETURNING * INTO v_message;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'clientId % was used by a concurrent send', p_client_id USING ERRCODE = 'IR409';
  END IF;
  UPDATE conversation_members
     SET last_activity_at = p_now,
         unread_count = unread_count + CASE WHEN user_id <> p_sender_id AND p_kind = 'message' THEN 1 ELSE 0 END,
         unread_expires_at = CASE WHEN user_id <> p_sender_id AND p_kind = 'message'
                                  THEN LEAST(unread_expires_at, v_message.expires_at) ELSE unread_expires_at END
   WHERE conversation_id = p_conversation_id;
  RETURN QUERY SELECT 'created', v_peer_id, to_jsonb(v_message);
END
$$`,
};

/**
 * Deleting messages (the expiry sweep, an erasure's cascade, a conversation's) takes the reactions that
 * point at them along: a statement trigger on messages, so no path that removes rows can leave them behind.
 * Replies (kind `message`) stay, pointing at a message that is gone.
 */
const DELETE_REACTIONS_OF_DELETED: SchemaFunction = {
  signature: 'delete_reactions_of_deleted()',
  sql: `CREATE OR REPLACE FUNCTION "delete_reactions_of_deleted"() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  -- Statement triggers fire for deletes of no rows too: without this, its own DELETE would recurse forever.
  -- Reactions point only at messages, so deleting reactions ends here.
  IF EXISTS (SELECT 1 FROM deleted_messages WHERE kind = 'message') THEN
    DELETE FROM messages WHERE kind = 'reaction' AND relates_to IN (SELECT id FROM deleted_messages WHERE kind = 'message');
  END IF;
  RETURN NULL;
END
$$`,
};

/**
 * Deleting messages (the expiry sweep, an erasure's cascade, a conversation's) takes the ones still
 * counted unread off their reader's count: a statement trigger on messages, so no path can miss it.
 * The member rows are locked first and counted in a second statement, which sees the read markers as
 * they are once locked (one UPDATE … FROM would subtract what a read committed meanwhile had already
 * taken off). Only readers with something counted among the deleted rows are locked, so a sweep of
 * messages that were read does not hold up the sends of those conversations. The deleted rows are
 * counted by conversation and sender first: a reader who had read none of a group's rows loses them
 * all, and only a group the read marker falls inside is counted row by row.
 */
const UNREAD_OF_DELETED: SchemaFunction = {
  signature: 'unread_of_deleted()',
  sql: `CREATE OR REPLACE FUNCTION "unread_of_deleted"() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM conversation_members m
    JOIN (SELECT conversation_id, sender_id, max(seq) AS seq FROM deleted_messages
           WHERE kind = 'message' AND deleted_at IS NULL GROUP BY conversation_id, sender_id) d
      ON d.conversation_id = m.conversation_id AND d.sender_id <> m.user_id AND d.seq > m.last_read_seq
   ORDER BY m.conversation_id, m.user_id
     FOR UPDATE OF m;
  IF FOUND THEN
    UPDATE conversation_members m
       SET unread_count = m.unread_count - d.count,
           unread_expires_at = CASE WHEN m.unread_count > d.count THEN m.unread_expires_at END
      FROM (SELECT r.conversation_id, r.user_id,
                   sum(CASE WHEN g.min_seq > r.last_read_seq THEN g.count
                            ELSE (SELECT count(*) FROM deleted_messages x
                                   WHERE x.conversation_id = g.conversation_id AND x.sender_id = g.sender_id
                                     AND x.kind = 'message' AND x.deleted_at IS NULL AND x.seq > r.last_read_seq) END)::int AS count
              FROM (SELECT conversation_id, sender_id, count(*)::int AS count, min(seq) AS min_seq, max(seq) AS max_seq FROM deleted_messages
                     WHERE kind = 'message' AND deleted_at IS NULL GROUP BY conversation_id, sender_id) g
              JOIN conversation_members r ON r.conversation_id = g.conversation_id AND r.user_id <> g.sender_id AND g.max_seq > r.last_read_seq
             GROUP BY r.conversation_id, r.user_id) d
     WHERE m.conversation_id = d.conversation_id AND m.user_id = d.user_id;
  END IF;
  RETURN NULL;
END
$$`,
};

/**
 * A message deleted for everyone (its tombstone) leaves its reader's unread count: a row trigger on the
 * update that sets deleted_at, whichever path makes it.
 */
const UNREAD_OF_TOMBSTONED: SchemaFunction = {
  signature: 'unread_of_tombstoned()',
  sql: `CREATE OR REPLACE FUNCTION "unread_of_tombstoned"() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  UPDATE conversation_members
     SET unread_count = unread_count - 1,
         unread_expires_at = CASE WHEN unread_count > 1 THEN unread_expires_at END
   WHERE conversation_id = NEW.conversation_id AND user_id <> NEW.sender_id AND last_read_seq < NEW.seq;
  RETURN NULL;
END
$$`,
};

/**
 * The users `p_user_id` shares a friendship or a conversation with (an erased peer's null is left out),
 * and whether a block stands between them either way. Who may see a user's devices and keys and who is
 * told when they change (e2ee.repository.ts); the unblocked ones are among `e2ee_writable_users`.
 */
const E2EE_CONTACTS: SchemaFunction = {
  signature: 'e2ee_contacts(uuid)',
  sql: `CREATE OR REPLACE FUNCTION "e2ee_contacts"(p_user_id uuid) RETURNS TABLE ("user_id" uuid, "blocked" boolean)
  LANGUAGE sql STABLE AS $$
  SELECT c.id, EXISTS (SELECT 1 FROM blocks b
                        WHERE (b.blocker_id = p_user_id AND b.blocked_id = c.id) OR (b.blocker_id = c.id AND b.blocked_id = p_user_id))
    FROM (SELECT f.friend_id AS id FROM friendships f WHERE f.user_id = p_user_id
          UNION
          SELECT CASE WHEN v.user_a_id = p_user_id THEN v.user_b_id ELSE v.user_a_id END
            FROM conversations v
           WHERE (v.user_a_id = p_user_id OR v.user_b_id = p_user_id) AND v.user_a_id IS NOT NULL AND v.user_b_id IS NOT NULL) c
$$`,
};

/** Who `p_user_id` may send to-device messages to and claim keys of: themselves, and contacts with no block either way. */
const E2EE_WRITABLE_USERS: SchemaFunction = {
  signature: 'e2ee_writable_users(uuid)',
  sql: `CREATE OR REPLACE FUNCTION "e2ee_writable_users"(p_user_id uuid) RETURNS TABLE ("user_id" uuid)
  LANGUAGE sql STABLE AS $$
  SELECT p_user_id
  UNION
  SELECT c.user_id FROM e2ee_contacts(p_user_id) c WHERE NOT c.blocked
$$`,
};

/**
 * The devices whose session is open at `p_now`: a session that expired keeps its device until the
 * hourly clean-up, but no one should see or reach it. A set-returning LANGUAGE sql function, so the
 * planner inlines it into the statement that calls it.
 */
const E2EE_OPEN_DEVICES: SchemaFunction = {
  signature: 'e2ee_open_devices(timestamptz)',
  sql: `CREATE OR REPLACE FUNCTION "e2ee_open_devices"(p_now timestamptz) RETURNS SETOF e2ee_devices
  LANGUAGE sql STABLE AS $$
  SELECT d.* FROM e2ee_devices d JOIN sessions s ON s.id = d.session_id
   WHERE s.revoked_at IS NULL AND s.expires_at > p_now
$$`,
};

/**
 * Serialises the writes to one device's keys and queues (uploads, claims of its fallback key, queue
 * writes, the device's end) with its syncs: a transaction-scoped advisory lock keyed on the session.
 */
const E2EE_LOCK_DEVICE: SchemaFunction = {
  signature: 'e2ee_lock_device(uuid)',
  sql: `CREATE OR REPLACE FUNCTION "e2ee_lock_device"(p_session_id uuid) RETURNS void
  LANGUAGE sql VOLATILE AS $$
  SELECT pg_advisory_xact_lock(hashtextextended('e2ee:' || p_session_id::text, 0))
$$`,
};

/**
 * A device's sync as one statement. Its rules are those of E2eeService.sync, which calls it and maps its outcome:
 * - the device lock first, so a sign-out that is deleting the device is waited for and then seen;
 *   two syncs of one device take turns (each holds the rows it deleted or marked to the end);
 * - then the session (the sync route is @SessionCheckedByHandler, so the guard only verifies the
 *   token): not open means `SESSION_REVOKED` before anything is read or written;
 * - an acknowledged batch (null: none) deletes the rows handed out in batches up to it; rows are
 *   matched by the batch that handed them out, never by id, so a row that committed late under a
 *   lower id stays;
 * - the oldest waiting rows, up to the limit, are marked with a new batch number and handed out,
 *   whether an earlier sync handed them out already or not (it was never acknowledged); `*_more`
 *   says that more than the limit wait. The batch is null when nothing waits;
 * - rows an earlier page marked that this page does not hold are unmarked, so an acknowledgement
 *   deletes only rows of the answers up to it: a device-list announcement is queued without the
 *   recipient's lock, so it can commit late under a lower id and push an unacknowledged page's last
 *   row off the next page. A to-device message is queued under that lock and cannot; its page
 *   unmarks alike, so both pages follow one rule;
 * - device-list changes before to-device messages: the order an erasure deletes them in
 *   (e2ee.repository `forgetUser`), so the two never wait for each other in a circle;
 * - the device's unclaimed one-time keys and whether its fallback key is unused.
 */
const E2EE_SYNC: SchemaFunction = {
  signature: 'e2ee_sync(uuid, uuid, integer, timestamptz, bigint, bigint, integer, integer)',
  sql: `CREATE OR REPLACE FUNCTION "e2ee_sync"(
    p_session_id uuid, p_user_id uuid, p_token_version integer, p_now timestamptz,
    p_ack_to_device bigint, p_ack_changes bigint, p_to_device_limit integer, p_changes_limit integer)
  RETURNS TABLE ("outcome" text, "to_device_batch" bigint, "to_device" jsonb, "to_device_more" boolean,
                 "changes_batch" bigint, "changes" jsonb, "changes_more" boolean,
                 "one_time_key_count" integer, "unused_fallback_key" boolean)
  LANGUAGE plpgsql AS $$
DECLARE
  v_changes_batch bigint;
  v_changes jsonb;
  v_to_device_batch bigint;
  v_to_device jsonb;
BEGIN
  PERFORM e2ee_lock_device(p_session_id);
  IF NOT EXISTS (SELECT 1 FROM valid_session(p_session_id, p_user_id, p_token_version, p_now)) THEN
    RETURN QUERY SELECT 'SESSION_REVOKED', NULL::bigint, NULL::jsonb, NULL::boolean, NULL::bigint, NULL::jsonb, NULL::boolean, NULL::integer, NULL::boolean;
    RETURN;
  END IF;

  IF p_ack_changes IS NOT NULL THEN
    DELETE FROM e2ee_device_list_changes WHERE recipient_session_id = p_session_id AND batch <= p_ack_changes;
  END IF;
  WITH page AS (SELECT id FROM e2ee_device_list_changes WHERE recipient_session_id = p_session_id ORDER BY id LIMIT p_changes_limit),
       next AS (SELECT nextval(pg_get_serial_sequence('e2ee_device_list_changes', 'id')) AS batch),
       unmarked AS (UPDATE e2ee_device_list_changes c SET batch = NULL
                     WHERE c.recipient_session_id = p_session_id AND c.batch IS NOT NULL AND c.id NOT IN (SELECT id FROM page)),
       taken AS (UPDATE e2ee_device_list_changes c SET batch = next.batch FROM page, next WHERE c.id = page.id
                 RETURNING c.id, c.user_id, c.kind, c.batch)
  SELECT max(taken.batch), jsonb_agg(jsonb_build_object('user_id', taken.user_id, 'kind', taken.kind) ORDER BY taken.id)
    INTO v_changes_batch, v_changes FROM taken;

  IF p_ack_to_device IS NOT NULL THEN
    DELETE FROM e2ee_to_device_messages WHERE recipient_session_id = p_session_id AND batch <= p_ack_to_device;
  END IF;
  WITH page AS (SELECT id FROM e2ee_to_device_messages WHERE recipient_session_id = p_session_id ORDER BY id LIMIT p_to_device_limit),
       next AS (SELECT nextval(pg_get_serial_sequence('e2ee_to_device_messages', 'id')) AS batch),
       unmarked AS (UPDATE e2ee_to_device_messages m SET batch = NULL
                     WHERE m.recipient_session_id = p_session_id AND m.batch IS NOT NULL AND m.id NOT IN (SELECT id FROM page)),
       taken AS (UPDATE e2ee_to_device_messages m SET batch = next.batch FROM page, next WHERE m.id = page.id
                 RETURNING m.id, m.event_type, m.sender_user_id, m.content, m.batch)
  SELECT max(taken.batch),
         jsonb_agg(jsonb_build_object('event_type', taken.event_type, 'sender_user_id', taken.sender_user_id, 'content', taken.content) ORDER BY taken.id)
    INTO v_to_device_batch, v_to_device FROM taken;

  RETURN QUERY SELECT 'synced',
    v_to_device_batch, COALESCE(v_to_device, '[]'::jsonb),
    (SELECT count(*) FROM (SELECT 1 FROM e2ee_to_device_messages WHERE recipient_session_id = p_session_id LIMIT p_to_device_limit + 1) w) > p_to_device_limit,
    v_changes_batch, COALESCE(v_changes, '[]'::jsonb),
    (SELECT count(*) FROM (SELECT 1 FROM e2ee_device_list_changes WHERE recipient_session_id = p_session_id LIMIT p_changes_limit + 1) w) > p_changes_limit,
    (SELECT count(*)::int FROM e2ee_one_time_keys WHERE session_id = p_session_id),
    EXISTS (SELECT 1 FROM e2ee_fallback_keys WHERE session_id = p_session_id AND NOT used);
END
$$`,
};

/**
 * A key share (PUT sendToDevice) as one statement. Its rules are those of E2eeService.sendToDevice,
 * which checks the shape and size of each payload first, then calls it and maps its outcome:
 * - first the session (the route is @SessionCheckedByHandler): not open means `SESSION_REVOKED`
 *   before anything is read or written;
 * - every target user (null: an id that is not one of ours) must be the sender or a contact with no
 *   block either way, or `RECIPIENT_NOT_ALLOWED` and nothing is queued;
 * - a transaction id the sending device used before queues nothing (`replayed`); a concurrent retry
 *   waits for the first to commit;
 * - one message per open device of a target user: the payload named for the device, else its user's
 *   `*` one (the last of either, in request order); unknown devices are skipped;
 * - the devices are locked in id order (e2ee_lock_device, as their end and their syncs take it),
 *   then a device whose queue is full, in all (`p_queue_cap`) or from this sender (`p_sender_cap`),
 *   is skipped rather than the request refused;
 * - `sent` answers the devices that got a message, to wake.
 */
const E2EE_SEND_TO_DEVICE: SchemaFunction = {
  signature: 'e2ee_send_to_device(uuid, uuid, integer, timestamptz, varchar, varchar, uuid[], text[], jsonb[], integer, integer)',
  sql: `CREATE OR REPLACE FUNCTION "e2ee_send_to_device"(
    p_session_id uuid, p_user_id uuid, p_token_version integer, p_now timestamptz,
    p_txn_id varchar, p_event_type varchar, p_target_users uuid[], p_target_devices text[], p_contents jsonb[],
    p_queue_cap integer, p_sender_cap integer)
  RETURNS TABLE ("outcome" text, "recipients" uuid[])
  LANGUAGE plpgsql AS $$
DECLARE
  v_devices uuid[];
  v_contents jsonb[];
  v_device uuid;
  v_recipients uuid[];
BEGIN
  IF NOT EXISTS (SELECT 1 FROM valid_session(p_session_id, p_user_id, p_token_version, p_now)) THEN
    RETURN QUERY SELECT 'SESSION_REVOKED', NULL::uuid[];
    RETURN;
  END IF;

  IF EXISTS (SELECT 1 FROM unnest(p_target_users) AS t (user_id)
              WHERE t.user_id IS NULL OR t.user_id NOT IN (SELECT w.user_id FROM e2ee_writable_users(p_user_id) w)) THEN
    RETURN QUERY SELECT 'RECIPIENT_NOT_ALLOWED', NULL::uuid[];
    RETURN;
  END IF;

  INSERT INTO e2ee_to_device_txns (session_id, txn_id, created_at) VALUES (p_session_id, p_txn_id, p_now) ON CONFLICT DO NOTHING;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'replayed', '{}'::uuid[];
    RETURN;
  END IF;

  SELECT array_agg(c.session_id ORDER BY c.session_id), array_agg(c.content ORDER BY c.session_id) INTO v_devices, v_contents
    FROM (SELECT DISTINCT ON (d.session_id) d.session_id, t.content
            FROM unnest(p_target_users, p_target_devices, p_contents) WITH ORDINALITY AS t (user_id, device, content, n)
            JOIN e2ee_open_devices(p_now) d ON d.user_id = t.user_id AND (t.device = '*' OR d.session_id::text = t.device)
           ORDER BY d.session_id, t.device = '*', t.n DESC) c;
  FOREACH v_device IN ARRAY COALESCE(v_devices, '{}') LOOP
    PERFORM e2ee_lock_device(v_device);
  END LOOP;

  WITH queued AS (SELECT q.recipient_session_id AS id, count(*) AS total, count(*) FILTER (WHERE q.sender_user_id = p_user_id) AS from_sender
                    FROM e2ee_to_device_messages q WHERE q.recipient_session_id = ANY(v_devices) GROUP BY 1),
       sent AS (INSERT INTO e2ee_to_device_messages (recipient_session_id, sender_user_id, event_type, content, created_at)
                SELECT m.id, p_user_id, p_event_type, m.content, p_now
                  FROM unnest(v_devices, v_contents) WITH ORDINALITY AS m (id, content, n)
                  LEFT JOIN queued ON queued.id = m.id
                 WHERE queued.id IS NULL OR (queued.total < p_queue_cap AND queued.from_sender < p_sender_cap)
                 ORDER BY m.n
                RETURNING recipient_session_id)
  SELECT COALESCE(array_agg(sent.recipient_session_id ORDER BY sent.recipient_session_id), '{}') INTO v_recipients FROM sent;
  RETURN QUERY SELECT 'sent', v_recipients;
END
$$`,
};

/**
 * Who sees `p_owner`'s profile picture and is told of their profile changes: themselves, and anyone they
 * share a friendship, a pending friend request or a conversation with, unless a block stands between
 * them either way. Not strangers (search shows them initials). Admins are let through by the caller.
 */
const PROFILE_VISIBLE: SchemaFunction = {
  signature: 'profile_visible(uuid, uuid)',
  sql: `CREATE OR REPLACE FUNCTION "profile_visible"(p_viewer_id uuid, p_owner_id uuid) RETURNS boolean
  LANGUAGE sql STABLE AS $$
  SELECT p_viewer_id = p_owner_id OR (
    NOT EXISTS (SELECT 1 FROM blocks b
                 WHERE (b.blocker_id = p_viewer_id AND b.blocked_id = p_owner_id) OR (b.blocker_id = p_owner_id AND b.blocked_id = p_viewer_id))
    AND (EXISTS (SELECT 1 FROM friendships f WHERE f.user_id = p_viewer_id AND f.friend_id = p_owner_id)
         OR EXISTS (SELECT 1 FROM friend_requests r
                     WHERE (r.from_user_id = p_viewer_id AND r.to_user_id = p_owner_id) OR (r.from_user_id = p_owner_id AND r.to_user_id = p_viewer_id))
         OR EXISTS (SELECT 1 FROM conversations v
                     WHERE v.user_a_id = LEAST(p_viewer_id, p_owner_id) AND v.user_b_id = GREATEST(p_viewer_id, p_owner_id))))
$$`,
};

/**
 * A user's replaced or removed profile picture (and an erased user's) queues its two files for deletion
 * in the same transaction, as attachments do: no path that changes the row can leave the files behind.
 */
const QUEUE_AVATAR_FILES: SchemaFunction = {
  signature: 'queue_avatar_files()',
  sql: `CREATE OR REPLACE FUNCTION "queue_avatar_files"() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.avatar_id IS NOT NULL AND (TG_OP = 'DELETE' OR NEW.avatar_id IS DISTINCT FROM OLD.avatar_id) THEN
    INSERT INTO storage_deletions (storage_key)
      VALUES ('originals/' || OLD.avatar_id::text), ('thumbnails/' || OLD.avatar_id::text)
      ON CONFLICT DO NOTHING;
  END IF;
  RETURN OLD;
END
$$`,
};

export const schemaFunctions: readonly SchemaFunction[] = [
  LOCK_PAIR,
  VALID_SESSION,
  WRITE_REFUSAL,
  SEND_MESSAGE,
  DELETE_REACTIONS_OF_DELETED,
  UNREAD_OF_DELETED,
  UNREAD_OF_TOMBSTONED,
  E2EE_CONTACTS,
  E2EE_WRITABLE_USERS,
  E2EE_OPEN_DEVICES,
  E2EE_LOCK_DEVICE,
  E2EE_SYNC,
  E2EE_SEND_TO_DEVICE,
  PROFILE_VISIBLE,
  QUEUE_AVATAR_FILES,
];
