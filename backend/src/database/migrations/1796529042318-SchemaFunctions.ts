import type { MigrationInterface, QueryRunner } from 'typeorm';

export class SchemaFunctions1796529042318 implements MigrationInterface {
  name = 'SchemaFunctions1796529042318';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE OR REPLACE FUNCTION "lock_pair"(p_user_id uuid, p_other_id uuid) RETURNS void
  LANGUAGE sql VOLATILE AS $$
  SELECT pg_advisory_xact_lock(hashtextextended(
    LEAST(p_user_id, p_other_id)::text || ':' || GREATEST(p_user_id, p_other_id)::text, 0))
$$`);
    await queryRunner.query(`CREATE OR REPLACE FUNCTION "valid_session"(p_session_id uuid, p_user_id uuid, p_token_version integer, p_now timestamptz)
  RETURNS TABLE ("role" varchar)
  LANGUAGE sql STABLE AS $$
  SELECT u.role FROM sessions s JOIN users u ON u.id = s.user_id
   WHERE s.id = p_session_id AND s.user_id = p_user_id AND s.revoked_at IS NULL
     AND s.expires_at > p_now AND u.token_version = p_token_version
$$`);
    await queryRunner.query(`CREATE OR REPLACE FUNCTION "write_refusal"(p_sender_id uuid, p_peer_id uuid) RETURNS text
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
$$`);
    await queryRunner.query(`CREATE OR REPLACE FUNCTION "send_message"(
    p_session_id uuid, p_token_version integer,
    p_conversation_id uuid, p_sender_id uuid, p_client_id uuid, p_body text, p_now timestamptz,
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

  v_refusal := write_refusal(p_sender_id, v_peer_id);
  IF v_refusal IS NOT NULL THEN
    RETURN QUERY SELECT v_refusal, v_peer_id, NULL::jsonb;
    RETURN;
  END IF;

  -- A timer left out takes the conversation's default; a zero or null timer has no mode.
  v_expires_in := CASE WHEN p_timer_given THEN p_expires_in_seconds ELSE v_conversation.default_expires_in_seconds END;
  v_mode := CASE WHEN COALESCE(v_expires_in, 0) <> 0 THEN COALESCE(p_expiry_mode, v_conversation.default_expiry_mode) END;

  UPDATE conversations SET last_seq = last_seq + 1, last_activity_at = p_now
   WHERE id = p_conversation_id RETURNING last_seq INTO v_seq;
  INSERT INTO messages (conversation_id, seq, sender_id, client_id, body, created_at, expires_in_seconds, expiry_mode, expires_at)
  VALUES (p_conversation_id, v_seq, p_sender_id, p_client_id, p_body, p_now, v_expires_in, v_mode,
          CASE WHEN v_mode = 'afterSend' THEN p_now + v_expires_in * interval '1 second' END)
  ON CONFLICT DO NOTHING
  RETURNING * INTO v_message;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'clientId % was used by a concurrent send', p_client_id USING ERRCODE = 'IR409';
  END IF;
  RETURN QUERY SELECT 'created', v_peer_id, to_jsonb(v_message);
END
$$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE OR REPLACE FUNCTION public.send_message(p_session_id uuid, p_token_version integer, p_conversation_id uuid, p_sender_id uuid, p_client_id uuid, p_body text, p_now timestamp with time zone, p_timer_given boolean, p_expires_in_seconds integer, p_expiry_mode character varying)
 RETURNS TABLE(outcome text, peer_id uuid, message jsonb)
 LANGUAGE plpgsql
AS $function$
DECLARE
  v_conversation conversations;
  v_peer_id uuid;
  v_previous messages;
  v_expires_in integer;
  v_mode varchar;
  v_seq integer;
  v_message messages;
BEGIN
  -- No session: the process sends for a user itself (the seed), not on behalf of a request.
  IF p_session_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM sessions s JOIN users u ON u.id = s.user_id
                  WHERE s.id = p_session_id AND s.user_id = p_sender_id AND s.revoked_at IS NULL
                    AND s.expires_at > p_now AND u.token_version = p_token_version) THEN
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

  IF v_peer_id IS NULL THEN
    RETURN QUERY SELECT 'PEER_GONE', NULL::uuid, NULL::jsonb;
    RETURN;
  END IF;
  PERFORM pg_advisory_xact_lock(hashtextextended(
    LEAST(p_sender_id, v_peer_id)::text || ':' || GREATEST(p_sender_id, v_peer_id)::text, 0));
  IF EXISTS (SELECT 1 FROM blocks
              WHERE (blocker_id = p_sender_id AND blocked_id = v_peer_id) OR (blocker_id = v_peer_id AND blocked_id = p_sender_id)) THEN
    RETURN QUERY SELECT 'BLOCKED', v_peer_id, NULL::jsonb;
    RETURN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM friendships WHERE user_id = p_sender_id AND friend_id = v_peer_id) THEN
    RETURN QUERY SELECT 'NOT_FRIENDS', v_peer_id, NULL::jsonb;
    RETURN;
  END IF;

  -- A timer left out takes the conversation's default; a zero or null timer has no mode.
  v_expires_in := CASE WHEN p_timer_given THEN p_expires_in_seconds ELSE v_conversation.default_expires_in_seconds END;
  v_mode := CASE WHEN COALESCE(v_expires_in, 0) <> 0 THEN COALESCE(p_expiry_mode, v_conversation.default_expiry_mode) END;

  UPDATE conversations SET last_seq = last_seq + 1, last_activity_at = p_now
   WHERE id = p_conversation_id RETURNING last_seq INTO v_seq;
  INSERT INTO messages (conversation_id, seq, sender_id, client_id, body, created_at, expires_in_seconds, expiry_mode, expires_at)
  VALUES (p_conversation_id, v_seq, p_sender_id, p_client_id, p_body, p_now, v_expires_in, v_mode,
          CASE WHEN v_mode = 'afterSend' THEN p_now + v_expires_in * interval '1 second' END)
  ON CONFLICT DO NOTHING
  RETURNING * INTO v_message;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'clientId % was used by a concurrent send', p_client_id USING ERRCODE = 'IR409';
  END IF;
  RETURN QUERY SELECT 'created', v_peer_id, to_jsonb(v_message);
END
$function$
`);
    await queryRunner.query(`DROP FUNCTION write_refusal(uuid, uuid)`);
    await queryRunner.query(`DROP FUNCTION valid_session(uuid, uuid, integer, timestamptz)`);
    await queryRunner.query(`DROP FUNCTION lock_pair(uuid, uuid)`);
  }
}
