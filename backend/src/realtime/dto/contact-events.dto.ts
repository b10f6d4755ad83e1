/**
 * Changes to a contact pushed to the other person's open screens. None tells anyone they were
 * blocked: a block reaches the blocked person as `friend.removed`, the same as an unfriend.
 */

/** `friend.removed`: the friendship with `userId` ended (unfriended, or a block either way). Sent to both. */
export class FriendRemovedEventDto {
  userId: string;
}

/** `friend.request.removed`: a pending request is gone (declined, cancelled, or ended by a block). Sent to both people. */
export class FriendRequestRemovedEventDto {
  /** The request's id. */
  id: string;
  /** The other person, as the receiving user sees it. */
  userId: string;
}

/** `block.changed`: you blocked or unblocked `userId` on another device. Sent only to the blocker. */
export class BlockChangedEventDto {
  userId: string;
  blocked: boolean;
}

/** `user.erased`: the account of a contact was deleted; their conversations become read-only ("Deleted user"). */
export class UserErasedEventDto {
  userId: string;
}
