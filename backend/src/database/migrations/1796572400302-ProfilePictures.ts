import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ProfilePictures1796572400302 implements MigrationInterface {
  name = 'ProfilePictures1796572400302';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "users" ADD "avatar_id" uuid`);
    await queryRunner.query(`CREATE OR REPLACE FUNCTION "profile_visible"(p_viewer_id uuid, p_owner_id uuid) RETURNS boolean
  LANGUAGE sql STABLE AS $$
  SELECT p_viewer_id = p_owner_id OR (
    NOT EXISTS (SELECT 1 FROM blocks b
                 WHERE (b.blocker_id = p_viewer_id AND b.blocked_id = p_owner_id) OR (b.blocker_id = p_owner_id AND b.blocked_id = p_viewer_id))
    AND (EXISTS (SELECT 1 FROM friendships f WHERE f.user_id = p_viewer_id AND f.friend_id = p_owner_id)
         OR EXISTS (SELECT 1 FROM friend_requests r
                     WHERE (r.from_user_id = p_viewer_id AND r.to_user_id = p_owner_id) OR (r.from_user_id = p_owner_id AND r.to_user_id = p_viewer_id))
         OR EXISTS (SELECT 1 FROM conversations v
                     WHERE v.user_a_id = LEAST(p_viewer_id, p_owner_id) AND v.user_b_id = GREATEST(p_viewer_id, p_owner_id))))
$$`);
    await queryRunner.query(`CREATE OR REPLACE FUNCTION "queue_avatar_files"() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.avatar_id IS NOT NULL AND (TG_OP = 'DELETE' OR NEW.avatar_id IS DISTINCT FROM OLD.avatar_id) THEN
    INSERT INTO storage_deletions (storage_key)
      VALUES ('originals/' || OLD.avatar_id::text), ('thumbnails/' || OLD.avatar_id::text)
      ON CONFLICT DO NOTHING;
  END IF;
  RETURN OLD;
END
$$`);
    // Written by hand (triggers are not compared): a replaced, removed or erased picture queues its files.
    await queryRunner.query(
      `CREATE TRIGGER "TRG_users_queue_avatar_files" AFTER UPDATE OF "avatar_id" OR DELETE ON "users" FOR EACH ROW EXECUTE FUNCTION "queue_avatar_files"()`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "TRG_users_queue_avatar_files" ON "users"`);
    await queryRunner.query(`DROP FUNCTION queue_avatar_files()`);
    await queryRunner.query(`DROP FUNCTION profile_visible(uuid, uuid)`);
    await queryRunner.query(`ALTER TABLE "users" DROP COLUMN "avatar_id"`);
  }
}
