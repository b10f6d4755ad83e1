import type { MigrationInterface, QueryRunner } from 'typeorm';

export class EncryptedMessages1796539255298 implements MigrationInterface {
  name = 'EncryptedMessages1796539255298';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "conversations" ADD "encrypted" boolean NOT NULL DEFAULT false`);
    await queryRunner.query(`ALTER TABLE "messages" ADD "ciphertext" jsonb`);
    await queryRunner.query(`ALTER TABLE "messages" ADD "sender_device_id" uuid`);
    await queryRunner.query(`ALTER TABLE "messages" ADD "kind" character varying(16) NOT NULL DEFAULT 'message'`);
    await queryRunner.query(`ALTER TABLE "messages" ADD "relates_to" uuid`);
    await queryRunner.query(`ALTER TABLE "attachments" DROP CONSTRAINT "CHK_attachments_kind"`);
    await queryRunner.query(`ALTER TABLE "attachments" ALTER COLUMN "kind" TYPE character varying(16)`);
    await queryRunner.query(`CREATE INDEX "IDX_messages_relates_to" ON "messages"  ("relates_to") WHERE "relates_to" IS NOT NULL`);
    await queryRunner.query(`ALTER TABLE "attachments" ADD CONSTRAINT "CHK_attachments_kind" CHECK ("kind" IN ('image', 'video', 'audio', 'file', 'encrypted'))`);
    await queryRunner.query(`ALTER TABLE "messages" ADD CONSTRAINT "CHK_messages_kind" CHECK ("kind" IN ('message', 'reaction'))`);
    await queryRunner.query(`DROP FUNCTION send_message(uuid,integer,uuid,uuid,uuid,text,timestamp with time zone,boolean,integer,character varying)`);
    await queryRunner.query(`CREATE OR REPLACE FUNCTION "send_message"(
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
  RETURN QUERY SELECT 'created', v_peer_id, to_jsonb(v_message);
END
$$`);
    await queryRunner.query(`CREATE OR REPLACE FUNCTION "delete_reactions_of_deleted"() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  -- Statement triggers fire for deletes of no rows too: without this, its own DELETE would recurse forever.
  -- Reactions point only at messages, so deleting reactions ends here.
  IF EXISTS (SELECT 1 FROM deleted_messages WHERE kind = 'message') THEN
    DELETE FROM messages WHERE kind = 'reaction' AND relates_to IN (SELECT id FROM deleted_messages WHERE kind = 'message');
  END IF;
  RETURN NULL;
END
$$`);
    await queryRunner.query(`CREATE TRIGGER "TRG_messages_delete_reactions" AFTER DELETE ON "messages" REFERENCING OLD TABLE AS deleted_messages FOR EACH STATEMENT EXECUTE FUNCTION "delete_reactions_of_deleted"()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "TRG_messages_delete_reactions" ON "messages"`);
    await queryRunner.query(`DROP FUNCTION delete_reactions_of_deleted()`);
    await queryRunner.query(`DROP FUNCTION send_message(uuid, integer, uuid, uuid, uuid, text, jsonb, varchar, uuid, timestamptz, boolean, integer, varchar)`);
    await queryRunner.query(`CREATE OR REPLACE FUNCTION public.send_message(p_session_id uuid, p_token_version integer, p_conversation_id uuid, p_sender_id uuid, p_client_id uuid, p_body text, p_now timestamp with time zone, p_timer_given boolean, p_expires_in_seconds integer, p_expiry_mode character varying)
 RETURNS TABLE(outcome text, peer_id uuid, message jsonb)
 LANGUAGE plpgsql
AS $function$
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
$function$
`);
    await queryRunner.query(`ALTER TABLE "messages" DROP CONSTRAINT "CHK_messages_kind"`);
    await queryRunner.query(`ALTER TABLE "attachments" DROP CONSTRAINT "CHK_attachments_kind"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_messages_relates_to"`);
    await queryRunner.query(`DELETE FROM "attachments" WHERE "kind" = 'encrypted'`);
    await queryRunner.query(`ALTER TABLE "attachments" ALTER COLUMN "kind" TYPE character varying(8)`);
    await queryRunner.query(`ALTER TABLE "attachments" ADD CONSTRAINT "CHK_attachments_kind" CHECK (((kind)::text = ANY ((ARRAY['image'::character varying, 'video'::character varying, 'audio'::character varying, 'file'::character varying])::text[])))`);
    await queryRunner.query(`ALTER TABLE "messages" DROP COLUMN "relates_to"`);
    await queryRunner.query(`ALTER TABLE "messages" DROP COLUMN "kind"`);
    await queryRunner.query(`ALTER TABLE "messages" DROP COLUMN "sender_device_id"`);
    await queryRunner.query(`ALTER TABLE "messages" DROP COLUMN "ciphertext"`);
    await queryRunner.query(`ALTER TABLE "conversations" DROP COLUMN "encrypted"`);
  }
}
