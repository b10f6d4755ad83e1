// The functions of profiles: who sees a profile picture, and the files a replaced one leaves behind.
import type { SchemaFunction } from './functions.js';

/**
 * Who sees `p_owner`'s profile picture and is told of their profile changes: themselves, and anyone they
 * share a friendship, a pending friend request or a conversation with, unless a block stands between
 * them either way. Not strangers (search shows them initials). Admins are let through by the caller.
 */
const PROFILE_VISIBLE: SchemaFunction = {
  signature: 'profile_visible(uuid, uuid)',
  sql: `CREATE OR REPLACE FUNCTION "profile_visible"(p_viewer_id uuid, p_owner_id uuid) RETURNS boolean
  LANGUAGE sql STABLE AS $$
  SELECT p_viewer_id = p_owner_id OR (
    NOT EXISTS (SELECT 1 FROM blocks b
                 WHERE (b.blocker_id = p_viewer_id AND b.blocked_id = p_owner_id) OR (b.blocker_id = p_owner_id AND b.blocked_id = p_viewer_id))
    AND (EXISTS (SELECT 1 FROM friendships f WHERE f.user_id = p_viewer_id AND f.friend_id = p_owner_id)
         OR EXISTS (SELECT 1 FROM friend_requests r
                     WHERE (r.from_user_id = p_viewer_id AND r.to_user_id = p_owner_id) OR (r.from_user_id = p_owner_id AND r.to_user_id = p_viewer_id))
         OR EXISTS (SELECT 1 FROM conversations v
                     WHERE v.user_a_id = LEAST(p_viewer_id, p_owner_id) AND v.user_b_id = GREATEST(p_viewer_id, p_owner_id))))
$$`,
};

/**
 * A user's replaced or removed profile picture (and an erased user's) queues its two files for deletion
 * in the same transaction, as attachments do: no path that changes the row can leave the files behind.
 */
const QUEUE_AVATAR_FILES: SchemaFunction = {
  signature: 'queue_avatar_files()',
  sql: `CREATE OR REPLACE FUNCTION "queue_avatar_files"() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.avatar_id IS NOT NULL AND (TG_OP = 'DELETE' OR NEW.avatar_id IS DISTINCT FROM OLD.avatar_id) THEN
    INSERT INTO storage_deletions (storage_key)
      VALUES ('originals/' || OLD.avatar_id::text), ('thumbnails/' || OLD.avatar_id::text)
      ON CONFLICT DO NOTHING;
  END IF;
  RETURN OLD;
END
$$`,
};

export const profileFunctions: readonly SchemaFunction[] = [PROFILE_VISIBLE, QUEUE_AVATAR_FILES];
