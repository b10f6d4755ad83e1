import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AuditEvents1795246663848 implements MigrationInterface {
  name = 'AuditEvents1795246663848';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "audit_events" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "action" character varying(64) NOT NULL, "actor_kind" character varying(16) NOT NULL, "actor_id" uuid, "details" jsonb NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_910f64d901a5c3e9878f0d4a407" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_audit_events_created_at" ON "audit_events"  ("created_at", "id") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."IDX_audit_events_created_at"`);
    await queryRunner.query(`DROP TABLE "audit_events"`);
  }
}
