import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CrossSigningAndKeyBackup1796550174939 implements MigrationInterface {
  name = 'CrossSigningAndKeyBackup1796550174939';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "e2ee_backup_versions" ("version" BIGSERIAL NOT NULL, "user_id" uuid NOT NULL, "algorithm" character varying(64) NOT NULL, "auth_data" jsonb NOT NULL, "etag" bigint NOT NULL DEFAULT '0', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_e2ee_backup_versions" PRIMARY KEY ("version"))`);
    await queryRunner.query(`CREATE INDEX "IDX_e2ee_backup_versions_user_id" ON "e2ee_backup_versions"  ("user_id") `);
    await queryRunner.query(`CREATE TABLE "e2ee_backup_keys" ("version" bigint NOT NULL, "room_id" character varying(255) NOT NULL, "session_id" character varying(255) NOT NULL, "first_message_index" integer NOT NULL, "forwarded_count" integer NOT NULL, "is_verified" boolean NOT NULL, "session_data" jsonb NOT NULL, CONSTRAINT "PK_e2ee_backup_keys" PRIMARY KEY ("version", "room_id", "session_id"))`);
    await queryRunner.query(`CREATE TABLE "e2ee_cross_signing_keys" ("user_id" uuid NOT NULL, "usage" character varying(16) NOT NULL, "key" jsonb NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "CHK_e2ee_cross_signing_keys_usage" CHECK ("usage" IN ('master', 'self_signing', 'user_signing')), CONSTRAINT "PK_e2ee_cross_signing_keys" PRIMARY KEY ("user_id", "usage"))`);
    await queryRunner.query(`CREATE TABLE "e2ee_signatures" ("target_user_id" uuid NOT NULL, "target_key_id" character varying(255) NOT NULL, "signer_user_id" uuid NOT NULL, "signer_key_id" character varying(255) NOT NULL, "signature" character varying(128) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_e2ee_signatures" PRIMARY KEY ("target_user_id", "target_key_id", "signer_user_id", "signer_key_id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_e2ee_signatures_signer_user_id" ON "e2ee_signatures"  ("signer_user_id") `);
    await queryRunner.query(`ALTER TABLE "e2ee_backup_versions" ADD CONSTRAINT "FK_e2ee_backup_versions_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "e2ee_backup_keys" ADD CONSTRAINT "FK_e2ee_backup_keys_version" FOREIGN KEY ("version") REFERENCES "e2ee_backup_versions"("version") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "e2ee_cross_signing_keys" ADD CONSTRAINT "FK_e2ee_cross_signing_keys_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "e2ee_signatures" ADD CONSTRAINT "FK_e2ee_signatures_target_user" FOREIGN KEY ("target_user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "e2ee_signatures" ADD CONSTRAINT "FK_e2ee_signatures_signer_user" FOREIGN KEY ("signer_user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "e2ee_signatures" DROP CONSTRAINT "FK_e2ee_signatures_signer_user"`);
    await queryRunner.query(`ALTER TABLE "e2ee_signatures" DROP CONSTRAINT "FK_e2ee_signatures_target_user"`);
    await queryRunner.query(`ALTER TABLE "e2ee_cross_signing_keys" DROP CONSTRAINT "FK_e2ee_cross_signing_keys_user"`);
    await queryRunner.query(`ALTER TABLE "e2ee_backup_keys" DROP CONSTRAINT "FK_e2ee_backup_keys_version"`);
    await queryRunner.query(`ALTER TABLE "e2ee_backup_versions" DROP CONSTRAINT "FK_e2ee_backup_versions_user"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_e2ee_signatures_signer_user_id"`);
    await queryRunner.query(`DROP TABLE "e2ee_signatures"`);
    await queryRunner.query(`DROP TABLE "e2ee_cross_signing_keys"`);
    await queryRunner.query(`DROP TABLE "e2ee_backup_keys"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_e2ee_backup_versions_user_id"`);
    await queryRunner.query(`DROP TABLE "e2ee_backup_versions"`);
  }
}
