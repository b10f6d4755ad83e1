/**
 * The synthetic Matrix ids of Iris (DESIGN.md §9): a user is `@<user uuid>:iris` (never the username,
 * which changes and is erased), a device is the sign-in session's id, a conversation is
 * `!<conversation uuid>:iris`. The web client mirrors this file.
 */
export const MATRIX_SERVER_NAME = 'iris';

const CANONICAL_UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const MATRIX_USER = new RegExp(`^@(${CANONICAL_UUID}):${MATRIX_SERVER_NAME}$`);
const MATRIX_ROOM = new RegExp(`^!(${CANONICAL_UUID}):${MATRIX_SERVER_NAME}$`);
const DEVICE = new RegExp(`^${CANONICAL_UUID}$`);

export const toMatrixUserId = (userId: string): string => `@${userId}:${MATRIX_SERVER_NAME}`;
export const toMatrixRoomId = (conversationId: string): string => `!${conversationId}:${MATRIX_SERVER_NAME}`;

/** The user uuid of `@<uuid>:iris`, or null for anything else (another server, a username, upper case). */
export function userIdOfMatrixId(matrixUserId: string): string | null {
  return MATRIX_USER.exec(matrixUserId)?.[1] ?? null;
}

/** The conversation uuid of `!<uuid>:iris`, or null. */
export function conversationIdOfRoomId(roomId: string): string | null {
  return MATRIX_ROOM.exec(roomId)?.[1] ?? null;
}

/** Whether `deviceId` can be a device of Iris: a session id, in canonical lower-case form. */
export const isDeviceId = (deviceId: string): boolean => DEVICE.test(deviceId);
