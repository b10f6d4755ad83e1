import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ConversationNotices1796584411520 implements MigrationInterface {
  name = 'ConversationNotices1796584411520';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "conversation_notices" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "conversation_id" uuid NOT NULL, "actor_id" uuid, "type" character varying(16) NOT NULL, "data" jsonb NOT NULL, "after_seq" integer NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "CHK_conversation_notices_type" CHECK ("type" IN ('timer', 'encryption')), CONSTRAINT "PK_73d570f102800a4617149a07c81" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_conversation_notices_actor_id" ON "conversation_notices"  ("actor_id") `);
    await queryRunner.query(`CREATE INDEX "IDX_conversation_notices_conversation_created" ON "conversation_notices"  ("conversation_id", "created_at", "id") `);
    await queryRunner.query(`ALTER TABLE "conversation_notices" ADD CONSTRAINT "FK_conversation_notices_conversation" FOREIGN KEY ("conversation_id") REFERENCES "conversations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "conversation_notices" ADD CONSTRAINT "FK_conversation_notices_actor" FOREIGN KEY ("actor_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "conversation_notices" DROP CONSTRAINT "FK_conversation_notices_actor"`);
    await queryRunner.query(`ALTER TABLE "conversation_notices" DROP CONSTRAINT "FK_conversation_notices_conversation"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_conversation_notices_conversation_created"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_conversation_notices_actor_id"`);
    await queryRunner.query(`DROP TABLE "conversation_notices"`);
  }
}
