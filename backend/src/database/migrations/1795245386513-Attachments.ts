import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Attachments1795245386513 implements MigrationInterface {
  name = 'Attachments1795245386513';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "attachments" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "uploader_id" uuid NOT NULL, "message_id" uuid, "position" smallint NOT NULL DEFAULT '0', "kind" character varying(8) NOT NULL, "mime_type" character varying(127) NOT NULL, "size" bigint NOT NULL, "name" character varying(255) NOT NULL, "width" integer, "height" integer, "duration_seconds" real, "storage_key" character varying(64) NOT NULL, "thumbnail_key" character varying(64), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "CHK_attachments_kind" CHECK ("kind" IN ('image', 'video', 'audio', 'file')), CONSTRAINT "PK_5e1f050bcff31e3084a1d662412" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_attachments_uploader" ON "attachments"  ("uploader_id") `);
    await queryRunner.query(`CREATE INDEX "IDX_attachments_unattached" ON "attachments"  ("created_at") WHERE "message_id" IS NULL`);
    await queryRunner.query(`CREATE INDEX "IDX_attachments_message" ON "attachments"  ("message_id", "position") `);
    await queryRunner.query(`CREATE TABLE "storage_deletions" ("storage_key" character varying(64) NOT NULL, "queued_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "next_attempt_at" TIMESTAMP WITH TIME ZONE, "attempts" integer NOT NULL DEFAULT '0', "last_error" text, CONSTRAINT "PK_84ff86644582ddf28eef6ef4669" PRIMARY KEY ("storage_key"))`);
    await queryRunner.query(`CREATE INDEX "IDX_storage_deletions_next_attempt" ON "storage_deletions"  ("next_attempt_at") `);
    await queryRunner.query(`ALTER TABLE "attachments" ADD CONSTRAINT "FK_attachments_uploader" FOREIGN KEY ("uploader_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "attachments" ADD CONSTRAINT "FK_attachments_message" FOREIGN KEY ("message_id") REFERENCES "messages"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    // Written by hand: whatever deletes an attachment row (a message's delete, expiry or erasure through
    // the cascades, the sweep of unattached uploads) queues its files in the same transaction.
    await queryRunner.query(`CREATE FUNCTION "queue_attachment_files"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO "storage_deletions" ("storage_key")
          SELECT key FROM unnest(ARRAY[OLD."storage_key", OLD."thumbnail_key"]) AS key WHERE key IS NOT NULL
          ON CONFLICT DO NOTHING;
        RETURN OLD;
      END $$`);
    await queryRunner.query(`CREATE TRIGGER "TRG_attachments_queue_files" AFTER DELETE ON "attachments" FOR EACH ROW EXECUTE FUNCTION "queue_attachment_files"()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "TRG_attachments_queue_files" ON "attachments"`);
    await queryRunner.query(`DROP FUNCTION "queue_attachment_files"()`);
    await queryRunner.query(`ALTER TABLE "attachments" DROP CONSTRAINT "FK_attachments_message"`);
    await queryRunner.query(`ALTER TABLE "attachments" DROP CONSTRAINT "FK_attachments_uploader"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_storage_deletions_next_attempt"`);
    await queryRunner.query(`DROP TABLE "storage_deletions"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_attachments_message"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_attachments_unattached"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_attachments_uploader"`);
    await queryRunner.query(`DROP TABLE "attachments"`);
  }
}
