import type { MigrationInterface, QueryRunner } from 'typeorm';

export class SendMessagesBatch1796609601102 implements MigrationInterface {
  name = 'SendMessagesBatch1796609601102';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE OR REPLACE FUNCTION "send_messages"(p_sends jsonb)
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
$$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION send_messages(jsonb)`);
  }
}
