// The functions of end-to-end encryption: who may see and reach whose devices, the device lock, and a
// device's sync and key share, each one statement.
import type { SchemaFunction } from './functions.js';

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

export const e2eeFunctions: readonly SchemaFunction[] = [E2EE_CONTACTS, E2EE_WRITABLE_USERS, E2EE_OPEN_DEVICES, E2EE_LOCK_DEVICE, E2EE_SYNC, E2EE_SEND_TO_DEVICE];
