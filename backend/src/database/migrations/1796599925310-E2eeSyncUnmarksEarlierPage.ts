import type { MigrationInterface, QueryRunner } from 'typeorm';

export class E2eeSyncUnmarksEarlierPage1796599925310 implements MigrationInterface {
  name = 'E2eeSyncUnmarksEarlierPage1796599925310';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE OR REPLACE FUNCTION "e2ee_sync"(
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
$$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE OR REPLACE FUNCTION public.e2ee_sync(p_session_id uuid, p_user_id uuid, p_token_version integer, p_now timestamp with time zone, p_ack_to_device bigint, p_ack_changes bigint, p_to_device_limit integer, p_changes_limit integer)
 RETURNS TABLE(outcome text, to_device_batch bigint, to_device jsonb, to_device_more boolean, changes_batch bigint, changes jsonb, changes_more boolean, one_time_key_count integer, unused_fallback_key boolean)
 LANGUAGE plpgsql
AS $function$
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
       taken AS (UPDATE e2ee_device_list_changes c SET batch = next.batch FROM page, next WHERE c.id = page.id
                 RETURNING c.id, c.user_id, c.kind, c.batch)
  SELECT max(taken.batch), jsonb_agg(jsonb_build_object('user_id', taken.user_id, 'kind', taken.kind) ORDER BY taken.id)
    INTO v_changes_batch, v_changes FROM taken;

  IF p_ack_to_device IS NOT NULL THEN
    DELETE FROM e2ee_to_device_messages WHERE recipient_session_id = p_session_id AND batch <= p_ack_to_device;
  END IF;
  WITH page AS (SELECT id FROM e2ee_to_device_messages WHERE recipient_session_id = p_session_id ORDER BY id LIMIT p_to_device_limit),
       next AS (SELECT nextval(pg_get_serial_sequence('e2ee_to_device_messages', 'id')) AS batch),
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
$function$
`);
  }
}
