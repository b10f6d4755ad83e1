import type { MigrationInterface, QueryRunner } from 'typeorm';

export class InboxSummary1796584475310 implements MigrationInterface {
  name = 'InboxSummary1796584475310';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."IDX_conversation_members_user_id"`);
    // Edited by hand: added empty, filled from the conversation, then made NOT NULL.
    await queryRunner.query(`ALTER TABLE "conversation_members" ADD "last_activity_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(
      `UPDATE "conversation_members" m SET "last_activity_at" = c."last_activity_at" FROM "conversations" c WHERE c."id" = m."conversation_id"`,
    );
    await queryRunner.query(`ALTER TABLE "conversation_members" ALTER COLUMN "last_activity_at" SET NOT NULL`);
    await queryRunner.query(`ALTER TABLE "conversation_members" ADD "unread_count" integer NOT NULL DEFAULT '0'`);
    await queryRunner.query(`ALTER TABLE "conversation_members" ADD "unread_expires_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`CREATE INDEX "IDX_conversation_members_user_activity" ON "conversation_members"  ("user_id", "last_activity_at", "conversation_id") `);
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
  UPDATE conversation_members
     SET last_activity_at = p_now,
         unread_count = unread_count + CASE WHEN user_id <> p_sender_id AND p_kind = 'message' THEN 1 ELSE 0 END,
         unread_expires_at = CASE WHEN user_id <> p_sender_id AND p_kind = 'message'
                                  THEN LEAST(unread_expires_at, v_message.expires_at) ELSE unread_expires_at END
   WHERE conversation_id = p_conversation_id;
  RETURN QUERY SELECT 'created', v_peer_id, to_jsonb(v_message);
END
$$`);
    await queryRunner.query(`CREATE OR REPLACE FUNCTION "unread_of_deleted"() RETURNS trigger
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
$$`);
    await queryRunner.query(`CREATE OR REPLACE FUNCTION "unread_of_tombstoned"() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  UPDATE conversation_members
     SET unread_count = unread_count - 1,
         unread_expires_at = CASE WHEN unread_count > 1 THEN unread_expires_at END
   WHERE conversation_id = NEW.conversation_id AND user_id <> NEW.sender_id AND last_read_seq < NEW.seq;
  RETURN NULL;
END
$$`);
    // Written by hand (triggers are not compared): the deletes and tombstones that take messages off the unread counts.
    await queryRunner.query(
      `CREATE TRIGGER "TRG_messages_unread_of_deleted" AFTER DELETE ON "messages" REFERENCING OLD TABLE AS deleted_messages FOR EACH STATEMENT EXECUTE FUNCTION "unread_of_deleted"()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER "TRG_messages_unread_of_tombstoned" AFTER UPDATE OF "deleted_at" ON "messages" FOR EACH ROW
       WHEN (OLD."deleted_at" IS NULL AND NEW."deleted_at" IS NOT NULL AND NEW."kind" = 'message') EXECUTE FUNCTION "unread_of_tombstoned"()`,
    );
    // The unread counts of existing conversations, as setLastReadSeq counts them.
    await queryRunner.query(
      `UPDATE "conversation_members" m SET "unread_count" = u.count, "unread_expires_at" = u.expires_at
         FROM "conversation_members" k CROSS JOIN LATERAL (
           SELECT count(*)::int AS count, min(x."expires_at") AS expires_at FROM "messages" x
            WHERE x."conversation_id" = k."conversation_id" AND x."seq" > k."last_read_seq" AND x."sender_id" <> k."user_id"
              AND x."kind" = 'message' AND x."deleted_at" IS NULL) u
        WHERE k."conversation_id" = m."conversation_id" AND k."user_id" = m."user_id" AND u.count > 0`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "TRG_messages_unread_of_tombstoned" ON "messages"`);
    await queryRunner.query(`DROP TRIGGER "TRG_messages_unread_of_deleted" ON "messages"`);
    await queryRunner.query(`DROP FUNCTION unread_of_tombstoned()`);
    await queryRunner.query(`DROP FUNCTION unread_of_deleted()`);
    await queryRunner.query(`CREATE OR REPLACE FUNCTION public.send_message(p_session_id uuid, p_token_version integer, p_conversation_id uuid, p_sender_id uuid, p_client_id uuid, p_body text, p_ciphertext jsonb, p_kind character varying, p_relates_to uuid, p_now timestamp with time zone, p_timer_given boolean, p_expires_in_seconds integer, p_expiry_mode character varying)
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
$function$
`);
    await queryRunner.query(`DROP INDEX "public"."IDX_conversation_members_user_activity"`);
    await queryRunner.query(`ALTER TABLE "conversation_members" DROP COLUMN "unread_expires_at"`);
    await queryRunner.query(`ALTER TABLE "conversation_members" DROP COLUMN "unread_count"`);
    await queryRunner.query(`ALTER TABLE "conversation_members" DROP COLUMN "last_activity_at"`);
    await queryRunner.query(`CREATE INDEX "IDX_conversation_members_user_id" ON "conversation_members" USING btree ("user_id") `);
  }
}
