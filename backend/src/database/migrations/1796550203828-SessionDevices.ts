import type { MigrationInterface, QueryRunner } from 'typeorm';

export class SessionDevices1796550203828 implements MigrationInterface {
  name = 'SessionDevices1796550203828';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "sessions" ADD "device_name" character varying(100) NOT NULL DEFAULT ''`);
    await queryRunner.query(`ALTER TABLE "sessions" ADD "ip" character varying(64)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "sessions" DROP COLUMN "ip"`);
    await queryRunner.query(`ALTER TABLE "sessions" DROP COLUMN "device_name"`);
  }
}
