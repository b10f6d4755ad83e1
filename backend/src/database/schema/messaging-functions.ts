// The functions of sending and reading messages: the session and pair checks a send makes, the send
// itself, and the triggers that keep reactions and unread counts right when messages go.
import type { SchemaFunction } from './functions.js';

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
 * Several sends in one transaction (messages/send-batches.ts): `send_message` for each element of
 * `p_sends`, a JSON array of its parameters as objects with their place `i`, in that order; the
 * answers come in the same order. A lock wait longer than the lock_timeout set here (for this
 * transaction only) fails the whole batch, whose sends then go again one by one: one send stuck behind
 * a long transaction (an erasure) must not hold up the others of its batch, nor keep the locks of the
 * conversations they already wrote. Sends hold a conversation's locks for milliseconds.
 */
const SEND_MESSAGES: SchemaFunction = {
  signature: 'send_messages(jsonb)',
  sql: `CREATE OR REPLACE FUNCTION "send_messages"(p_sends jsonb)
  RETURNS TABLE ("outcome" text, "peer_id" uuid, "message" jsonb)
  LANGUAGE plpgsql AS $$
DECLARE
  s record;
BEGIN
  PERFORM set_config('lock_timeout', '250ms', true);
  FOR s IN
    SELECT * FROM jsonb_to_recordset(p_sends) AS b(i integer, session_id uuid, token_version integer, conversation_id uuid,
             sender_id uuid, client_id uuid, body text, ciphertext jsonb, kind varchar, relates_to uuid, now timestamptz,
             timer_given boolean, expires_in_seconds integer, expiry_mode varchar)
     ORDER BY b.i
  LOOP
    RETURN QUERY SELECT * FROM send_message(s.session_id, s.token_version, s.conversation_id, s.sender_id, s.client_id, s.body,
      s.ciphertext, s.kind, s.relates_to, s.now, s.timer_given, s.expires_in_seconds, s.expiry_mode);
  END LOOP;
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

export const messagingFunctions: readonly SchemaFunction[] = [LOCK_PAIR, VALID_SESSION, WRITE_REFUSAL, SEND_MESSAGE, SEND_MESSAGES, DELETE_REACTIONS_OF_DELETED, UNREAD_OF_DELETED, UNREAD_OF_TOMBSTONED];
