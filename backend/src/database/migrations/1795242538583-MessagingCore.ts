import type { MigrationInterface, QueryRunner } from 'typeorm';

export class MessagingCore1795242538583 implements MigrationInterface {
  name = 'MessagingCore1795242538583';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "conversations" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "user_a_id" uuid, "user_b_id" uuid, "last_seq" integer NOT NULL DEFAULT '0', "last_activity_at" TIMESTAMP WITH TIME ZONE NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "default_expires_in_seconds" integer, "default_expiry_mode" character varying(16) NOT NULL DEFAULT 'afterSend', CONSTRAINT "CHK_conversations_default_expiry_mode" CHECK ("default_expiry_mode" IN ('afterSend', 'afterRead')), CONSTRAINT "CHK_conversations_pair_order" CHECK ("user_a_id" < "user_b_id"), CONSTRAINT "PK_ee34f4f7ced4ec8681f26bf04ef" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_conversations_user_b_id" ON "conversations"  ("user_b_id") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_conversations_pair" ON "conversations"  ("user_a_id", "user_b_id") `);
    await queryRunner.query(`CREATE TABLE "conversation_members" ("conversation_id" uuid NOT NULL, "user_id" uuid NOT NULL, "last_read_seq" integer NOT NULL DEFAULT '0', CONSTRAINT "PK_conversation_members" PRIMARY KEY ("conversation_id", "user_id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_conversation_members_user_id" ON "conversation_members"  ("user_id") `);
    await queryRunner.query(`CREATE TABLE "blocks" ("blocker_id" uuid NOT NULL, "blocked_id" uuid NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "CHK_blocks_not_self" CHECK ("blocker_id" <> "blocked_id"), CONSTRAINT "PK_blocks" PRIMARY KEY ("blocker_id", "blocked_id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_blocks_blocked_id" ON "blocks"  ("blocked_id") `);
    await queryRunner.query(`CREATE TABLE "friend_requests" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "from_user_id" uuid NOT NULL, "to_user_id" uuid NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "CHK_friend_requests_not_self" CHECK ("from_user_id" <> "to_user_id"), CONSTRAINT "PK_3827ba86ce64ecb4b90c92eeea6" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_friend_requests_to_user_id" ON "friend_requests"  ("to_user_id") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_friend_requests_pair" ON "friend_requests"  ("from_user_id", "to_user_id") `);
    await queryRunner.query(`CREATE TABLE "friendships" ("user_id" uuid NOT NULL, "friend_id" uuid NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "CHK_friendships_not_self" CHECK ("user_id" <> "friend_id"), CONSTRAINT "PK_friendships" PRIMARY KEY ("user_id", "friend_id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_friendships_friend_id" ON "friendships"  ("friend_id") `);
    await queryRunner.query(`CREATE TABLE "job_runs" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "job" character varying(64) NOT NULL, "started_at" TIMESTAMP WITH TIME ZONE NOT NULL, "finished_at" TIMESTAMP WITH TIME ZONE, "rows_affected" integer NOT NULL DEFAULT '0', "error" text, CONSTRAINT "PK_4d0012c04fcfc287550b76be7e9" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_job_runs_started_at" ON "job_runs"  ("started_at", "id") `);
    await queryRunner.query(`CREATE TABLE "messages" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "conversation_id" uuid NOT NULL, "seq" integer NOT NULL, "sender_id" uuid NOT NULL, "client_id" uuid NOT NULL, "body" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "edited_at" TIMESTAMP WITH TIME ZONE, "deleted_at" TIMESTAMP WITH TIME ZONE, "expires_in_seconds" integer, "expiry_mode" character varying(16), "expires_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "CHK_messages_expiry_mode" CHECK ("expiry_mode" IN ('afterSend', 'afterRead')), CONSTRAINT "PK_18325f38ae6de43878487eff986" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_messages_expires_at" ON "messages"  ("expires_at") WHERE "expires_at" IS NOT NULL`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_messages_sender_client_id" ON "messages"  ("sender_id", "client_id") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_messages_conversation_seq" ON "messages"  ("conversation_id", "seq") `);
    await queryRunner.query(`ALTER TABLE "conversations" ADD CONSTRAINT "FK_conversations_user_a" FOREIGN KEY ("user_a_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "conversations" ADD CONSTRAINT "FK_conversations_user_b" FOREIGN KEY ("user_b_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "conversation_members" ADD CONSTRAINT "FK_conversation_members_conversation" FOREIGN KEY ("conversation_id") REFERENCES "conversations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "conversation_members" ADD CONSTRAINT "FK_conversation_members_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "blocks" ADD CONSTRAINT "FK_blocks_blocker" FOREIGN KEY ("blocker_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "blocks" ADD CONSTRAINT "FK_blocks_blocked" FOREIGN KEY ("blocked_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "friend_requests" ADD CONSTRAINT "FK_friend_requests_from" FOREIGN KEY ("from_user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "friend_requests" ADD CONSTRAINT "FK_friend_requests_to" FOREIGN KEY ("to_user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "friendships" ADD CONSTRAINT "FK_friendships_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "friendships" ADD CONSTRAINT "FK_friendships_friend" FOREIGN KEY ("friend_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "messages" ADD CONSTRAINT "FK_messages_conversation" FOREIGN KEY ("conversation_id") REFERENCES "conversations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "messages" ADD CONSTRAINT "FK_messages_sender" FOREIGN KEY ("sender_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "messages" DROP CONSTRAINT "FK_messages_sender"`);
    await queryRunner.query(`ALTER TABLE "messages" DROP CONSTRAINT "FK_messages_conversation"`);
    await queryRunner.query(`ALTER TABLE "friendships" DROP CONSTRAINT "FK_friendships_friend"`);
    await queryRunner.query(`ALTER TABLE "friendships" DROP CONSTRAINT "FK_friendships_user"`);
    await queryRunner.query(`ALTER TABLE "friend_requests" DROP CONSTRAINT "FK_friend_requests_to"`);
    await queryRunner.query(`ALTER TABLE "friend_requests" DROP CONSTRAINT "FK_friend_requests_from"`);
    await queryRunner.query(`ALTER TABLE "blocks" DROP CONSTRAINT "FK_blocks_blocked"`);
    await queryRunner.query(`ALTER TABLE "blocks" DROP CONSTRAINT "FK_blocks_blocker"`);
    await queryRunner.query(`ALTER TABLE "conversation_members" DROP CONSTRAINT "FK_conversation_members_user"`);
    await queryRunner.query(`ALTER TABLE "conversation_members" DROP CONSTRAINT "FK_conversation_members_conversation"`);
    await queryRunner.query(`ALTER TABLE "conversations" DROP CONSTRAINT "FK_conversations_user_b"`);
    await queryRunner.query(`ALTER TABLE "conversations" DROP CONSTRAINT "FK_conversations_user_a"`);
    await queryRunner.query(`DROP INDEX "public"."UQ_messages_conversation_seq"`);
    await queryRunner.query(`DROP INDEX "public"."UQ_messages_sender_client_id"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_messages_expires_at"`);
    await queryRunner.query(`DROP TABLE "messages"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_job_runs_started_at"`);
    await queryRunner.query(`DROP TABLE "job_runs"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_friendships_friend_id"`);
    await queryRunner.query(`DROP TABLE "friendships"`);
    await queryRunner.query(`DROP INDEX "public"."UQ_friend_requests_pair"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_friend_requests_to_user_id"`);
    await queryRunner.query(`DROP TABLE "friend_requests"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_blocks_blocked_id"`);
    await queryRunner.query(`DROP TABLE "blocks"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_conversation_members_user_id"`);
    await queryRunner.query(`DROP TABLE "conversation_members"`);
    await queryRunner.query(`DROP INDEX "public"."UQ_conversations_pair"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_conversations_user_b_id"`);
    await queryRunner.query(`DROP TABLE "conversations"`);
  }
}
