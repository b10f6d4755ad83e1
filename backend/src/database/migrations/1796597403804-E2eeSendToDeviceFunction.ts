import type { MigrationInterface, QueryRunner } from 'typeorm';

export class E2eeSendToDeviceFunction1796597403804 implements MigrationInterface {
  name = 'E2eeSendToDeviceFunction1796597403804';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE OR REPLACE FUNCTION "e2ee_writable_users"(p_user_id uuid) RETURNS TABLE ("user_id" uuid)
  LANGUAGE sql STABLE AS $$
  SELECT p_user_id
  UNION
  SELECT c.user_id FROM e2ee_contacts(p_user_id) c WHERE NOT c.blocked
$$`);
    await queryRunner.query(`CREATE OR REPLACE FUNCTION "e2ee_open_devices"(p_now timestamptz) RETURNS SETOF e2ee_devices
  LANGUAGE sql STABLE AS $$
  SELECT d.* FROM e2ee_devices d JOIN sessions s ON s.id = d.session_id
   WHERE s.revoked_at IS NULL AND s.expires_at > p_now
$$`);
    await queryRunner.query(`CREATE OR REPLACE FUNCTION "e2ee_send_to_device"(
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
$$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION e2ee_send_to_device(uuid, uuid, integer, timestamptz, varchar, varchar, uuid[], text[], jsonb[], integer, integer)`);
    await queryRunner.query(`DROP FUNCTION e2ee_open_devices(timestamptz)`);
    await queryRunner.query(`DROP FUNCTION e2ee_writable_users(uuid)`);
  }
}
