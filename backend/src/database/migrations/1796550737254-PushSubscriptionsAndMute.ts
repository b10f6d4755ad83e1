import type { MigrationInterface, QueryRunner } from 'typeorm';

export class PushSubscriptionsAndMute1796550737254 implements MigrationInterface {
  name = 'PushSubscriptionsAndMute1796550737254';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "push_subscriptions" ("session_id" uuid NOT NULL, "user_id" uuid NOT NULL, "endpoint" text NOT NULL, "p256dh" text NOT NULL, "auth" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_push_subscriptions" PRIMARY KEY ("session_id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_push_subscriptions_user_id" ON "push_subscriptions"  ("user_id") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_push_subscriptions_endpoint" ON "push_subscriptions"  ("endpoint") `);
    await queryRunner.query(`ALTER TABLE "conversation_members" ADD "muted" boolean NOT NULL DEFAULT false`);
    await queryRunner.query(`ALTER TABLE "push_subscriptions" ADD CONSTRAINT "FK_push_subscriptions_session" FOREIGN KEY ("session_id") REFERENCES "sessions"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "push_subscriptions" ADD CONSTRAINT "FK_push_subscriptions_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "push_subscriptions" DROP CONSTRAINT "FK_push_subscriptions_user"`);
    await queryRunner.query(`ALTER TABLE "push_subscriptions" DROP CONSTRAINT "FK_push_subscriptions_session"`);
    await queryRunner.query(`ALTER TABLE "conversation_members" DROP COLUMN "muted"`);
    await queryRunner.query(`DROP INDEX "public"."UQ_push_subscriptions_endpoint"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_push_subscriptions_user_id"`);
    await queryRunner.query(`DROP TABLE "push_subscriptions"`);
  }
}
