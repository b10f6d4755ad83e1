import type { MigrationInterface, QueryRunner } from 'typeorm';

export class E2eeDevicesAndKeys1796540379077 implements MigrationInterface {
  name = 'E2eeDevicesAndKeys1796540379077';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "e2ee_device_list_changes" ("id" BIGSERIAL NOT NULL, "recipient_session_id" uuid NOT NULL, "user_id" uuid NOT NULL, "batch" bigint, "kind" character varying(8) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "CHK_e2ee_device_list_changes_kind" CHECK ("kind" IN ('changed', 'left')), CONSTRAINT "PK_e2ee_device_list_changes" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_e2ee_device_list_changes_user_id" ON "e2ee_device_list_changes"  ("user_id") `);
    await queryRunner.query(`CREATE INDEX "IDX_e2ee_device_list_changes_created_at" ON "e2ee_device_list_changes"  ("created_at") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_e2ee_device_list_changes_recipient_user" ON "e2ee_device_list_changes"  ("recipient_session_id", "user_id") `);
    await queryRunner.query(`CREATE TABLE "e2ee_devices" ("session_id" uuid NOT NULL, "user_id" uuid NOT NULL, "device_keys" jsonb NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_e2ee_devices" PRIMARY KEY ("session_id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_e2ee_devices_user_id" ON "e2ee_devices"  ("user_id") `);
    await queryRunner.query(`CREATE TABLE "e2ee_fallback_keys" ("session_id" uuid NOT NULL, "key_id" character varying(100) NOT NULL, "key" jsonb NOT NULL, "used" boolean NOT NULL DEFAULT false, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_e2ee_fallback_keys" PRIMARY KEY ("session_id"))`);
    await queryRunner.query(`CREATE TABLE "e2ee_one_time_keys" ("session_id" uuid NOT NULL, "key_id" character varying(100) NOT NULL, "key" jsonb NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_e2ee_one_time_keys" PRIMARY KEY ("session_id", "key_id"))`);
    await queryRunner.query(`CREATE TABLE "e2ee_to_device_messages" ("id" BIGSERIAL NOT NULL, "recipient_session_id" uuid NOT NULL, "sender_user_id" uuid NOT NULL, "event_type" character varying(255) NOT NULL, "batch" bigint, "content" jsonb NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_e2ee_to_device_messages" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_e2ee_to_device_messages_sender_user_id" ON "e2ee_to_device_messages"  ("sender_user_id") `);
    await queryRunner.query(`CREATE INDEX "IDX_e2ee_to_device_messages_created_at" ON "e2ee_to_device_messages"  ("created_at") `);
    await queryRunner.query(`CREATE INDEX "IDX_e2ee_to_device_messages_recipient" ON "e2ee_to_device_messages"  ("recipient_session_id", "id") `);
    await queryRunner.query(`CREATE TABLE "e2ee_to_device_txns" ("session_id" uuid NOT NULL, "txn_id" character varying(255) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_e2ee_to_device_txns" PRIMARY KEY ("session_id", "txn_id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_e2ee_to_device_txns_created_at" ON "e2ee_to_device_txns"  ("created_at") `);
    await queryRunner.query(`ALTER TABLE "e2ee_device_list_changes" ADD CONSTRAINT "FK_e2ee_device_list_changes_recipient" FOREIGN KEY ("recipient_session_id") REFERENCES "sessions"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "e2ee_devices" ADD CONSTRAINT "FK_e2ee_devices_session" FOREIGN KEY ("session_id") REFERENCES "sessions"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "e2ee_devices" ADD CONSTRAINT "FK_e2ee_devices_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "e2ee_fallback_keys" ADD CONSTRAINT "FK_e2ee_fallback_keys_session" FOREIGN KEY ("session_id") REFERENCES "sessions"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "e2ee_one_time_keys" ADD CONSTRAINT "FK_e2ee_one_time_keys_session" FOREIGN KEY ("session_id") REFERENCES "sessions"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "e2ee_to_device_messages" ADD CONSTRAINT "FK_e2ee_to_device_messages_recipient" FOREIGN KEY ("recipient_session_id") REFERENCES "sessions"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "e2ee_to_device_messages" ADD CONSTRAINT "FK_e2ee_to_device_messages_sender" FOREIGN KEY ("sender_user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "e2ee_to_device_txns" ADD CONSTRAINT "FK_e2ee_to_device_txns_session" FOREIGN KEY ("session_id") REFERENCES "sessions"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`CREATE OR REPLACE FUNCTION "e2ee_contacts"(p_user_id uuid) RETURNS TABLE ("user_id" uuid, "blocked" boolean)
  LANGUAGE sql STABLE AS $$
  SELECT c.id, EXISTS (SELECT 1 FROM blocks b
                        WHERE (b.blocker_id = p_user_id AND b.blocked_id = c.id) OR (b.blocker_id = c.id AND b.blocked_id = p_user_id))
    FROM (SELECT f.friend_id AS id FROM friendships f WHERE f.user_id = p_user_id
          UNION
          SELECT CASE WHEN v.user_a_id = p_user_id THEN v.user_b_id ELSE v.user_a_id END
            FROM conversations v
           WHERE (v.user_a_id = p_user_id OR v.user_b_id = p_user_id) AND v.user_a_id IS NOT NULL AND v.user_b_id IS NOT NULL) c
$$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION e2ee_contacts(uuid)`);
    await queryRunner.query(`ALTER TABLE "e2ee_to_device_txns" DROP CONSTRAINT "FK_e2ee_to_device_txns_session"`);
    await queryRunner.query(`ALTER TABLE "e2ee_to_device_messages" DROP CONSTRAINT "FK_e2ee_to_device_messages_sender"`);
    await queryRunner.query(`ALTER TABLE "e2ee_to_device_messages" DROP CONSTRAINT "FK_e2ee_to_device_messages_recipient"`);
    await queryRunner.query(`ALTER TABLE "e2ee_one_time_keys" DROP CONSTRAINT "FK_e2ee_one_time_keys_session"`);
    await queryRunner.query(`ALTER TABLE "e2ee_fallback_keys" DROP CONSTRAINT "FK_e2ee_fallback_keys_session"`);
    await queryRunner.query(`ALTER TABLE "e2ee_devices" DROP CONSTRAINT "FK_e2ee_devices_user"`);
    await queryRunner.query(`ALTER TABLE "e2ee_devices" DROP CONSTRAINT "FK_e2ee_devices_session"`);
    await queryRunner.query(`ALTER TABLE "e2ee_device_list_changes" DROP CONSTRAINT "FK_e2ee_device_list_changes_recipient"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_e2ee_to_device_txns_created_at"`);
    await queryRunner.query(`DROP TABLE "e2ee_to_device_txns"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_e2ee_to_device_messages_recipient"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_e2ee_to_device_messages_created_at"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_e2ee_to_device_messages_sender_user_id"`);
    await queryRunner.query(`DROP TABLE "e2ee_to_device_messages"`);
    await queryRunner.query(`DROP TABLE "e2ee_one_time_keys"`);
    await queryRunner.query(`DROP TABLE "e2ee_fallback_keys"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_e2ee_devices_user_id"`);
    await queryRunner.query(`DROP TABLE "e2ee_devices"`);
    await queryRunner.query(`DROP INDEX "public"."UQ_e2ee_device_list_changes_recipient_user"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_e2ee_device_list_changes_created_at"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_e2ee_device_list_changes_user_id"`);
    await queryRunner.query(`DROP TABLE "e2ee_device_list_changes"`);
  }
}
