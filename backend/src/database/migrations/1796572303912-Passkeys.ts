import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Passkeys1796572303912 implements MigrationInterface {
  name = 'Passkeys1796572303912';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "passkey_challenges" ("challenge" character varying(64) NOT NULL, "ceremony" character varying(16) NOT NULL, "user_id" uuid, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "used_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_passkey_challenges" PRIMARY KEY ("challenge"))`);
    await queryRunner.query(`CREATE INDEX "IDX_passkey_challenges_user_id" ON "passkey_challenges"  ("user_id") `);
    await queryRunner.query(`CREATE INDEX "IDX_passkey_challenges_expires_at" ON "passkey_challenges"  ("expires_at") `);
    await queryRunner.query(`CREATE TABLE "user_passkeys" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "user_id" uuid NOT NULL, "credential_id" character varying(1400) NOT NULL, "public_key" bytea NOT NULL, "counter" bigint NOT NULL DEFAULT '0', "transports" character varying(32) array NOT NULL DEFAULT '{}', "name" character varying(64) NOT NULL, "backed_up" boolean NOT NULL DEFAULT false, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "last_used_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_user_passkeys" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_user_passkeys_user_id" ON "user_passkeys"  ("user_id") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_user_passkeys_credential_id" ON "user_passkeys"  ("credential_id") `);
    await queryRunner.query(`ALTER TABLE "passkey_challenges" ADD CONSTRAINT "FK_passkey_challenges_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "user_passkeys" ADD CONSTRAINT "FK_user_passkeys_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "user_passkeys" DROP CONSTRAINT "FK_user_passkeys_user"`);
    await queryRunner.query(`ALTER TABLE "passkey_challenges" DROP CONSTRAINT "FK_passkey_challenges_user"`);
    await queryRunner.query(`DROP INDEX "public"."UQ_user_passkeys_credential_id"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_user_passkeys_user_id"`);
    await queryRunner.query(`DROP TABLE "user_passkeys"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_passkey_challenges_expires_at"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_passkey_challenges_user_id"`);
    await queryRunner.query(`DROP TABLE "passkey_challenges"`);
  }
}
