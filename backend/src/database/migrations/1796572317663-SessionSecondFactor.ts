import type { MigrationInterface, QueryRunner } from 'typeorm';

export class SessionSecondFactor1796572317663 implements MigrationInterface {
  name = 'SessionSecondFactor1796572317663';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "sessions" ADD "mfa_at" TIMESTAMP WITH TIME ZONE`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "sessions" DROP COLUMN "mfa_at"`);
  }
}
