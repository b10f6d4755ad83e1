import type { MigrationInterface, QueryRunner } from 'typeorm';

export class TwoFactorTotp1796552804361 implements MigrationInterface {
  name = 'TwoFactorTotp1796552804361';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "login_challenges" ("token_hash" bytea NOT NULL, "user_id" uuid NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "attempts" integer NOT NULL DEFAULT '0', "device_name" character varying(100) NOT NULL, "ip" character varying(64), CONSTRAINT "PK_login_challenges" PRIMARY KEY ("token_hash"))`);
    await queryRunner.query(`CREATE INDEX "IDX_login_challenges_user_id" ON "login_challenges"  ("user_id") `);
    await queryRunner.query(`CREATE TABLE "recovery_codes" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "user_id" uuid NOT NULL, "code_hash" bytea NOT NULL, "used_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_0723b9e53961e799027d7f7ba32" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_recovery_codes_user_hash" ON "recovery_codes"  ("user_id", "code_hash") `);
    await queryRunner.query(`CREATE TABLE "user_totp" ("user_id" uuid NOT NULL, "secret" character varying(64) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "enabled_at" TIMESTAMP WITH TIME ZONE, "last_used_step" bigint, CONSTRAINT "PK_user_totp" PRIMARY KEY ("user_id"))`);
    await queryRunner.query(`ALTER TABLE "login_challenges" ADD CONSTRAINT "FK_login_challenges_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "recovery_codes" ADD CONSTRAINT "FK_recovery_codes_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "user_totp" ADD CONSTRAINT "FK_user_totp_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "user_totp" DROP CONSTRAINT "FK_user_totp_user"`);
    await queryRunner.query(`ALTER TABLE "recovery_codes" DROP CONSTRAINT "FK_recovery_codes_user"`);
    await queryRunner.query(`ALTER TABLE "login_challenges" DROP CONSTRAINT "FK_login_challenges_user"`);
    await queryRunner.query(`DROP TABLE "user_totp"`);
    await queryRunner.query(`DROP INDEX "public"."UQ_recovery_codes_user_hash"`);
    await queryRunner.query(`DROP TABLE "recovery_codes"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_login_challenges_user_id"`);
    await queryRunner.query(`DROP TABLE "login_challenges"`);
  }
}
