import { Attachment } from './attachments/attachment.entity.js';
import { StorageDeletion } from './attachments/storage-deletion.entity.js';
import { RefreshToken } from './auth/refresh-token.entity.js';
import { Session } from './auth/session.entity.js';
import { ConversationMember } from './conversations/conversation-member.entity.js';
import { Conversation } from './conversations/conversation.entity.js';
import { E2eeDeviceListChange } from './e2ee/e2ee-device-list-change.entity.js';
import { E2eeDevice } from './e2ee/e2ee-device.entity.js';
import { E2eeFallbackKey } from './e2ee/e2ee-fallback-key.entity.js';
import { E2eeOneTimeKey } from './e2ee/e2ee-one-time-key.entity.js';
import { E2eeToDeviceMessage } from './e2ee/e2ee-to-device-message.entity.js';
import { E2eeToDeviceTxn } from './e2ee/e2ee-to-device-txn.entity.js';
import { Block } from './friends/block.entity.js';
import { FriendRequest } from './friends/friend-request.entity.js';
import { Friendship } from './friends/friendship.entity.js';
import { JobRun } from './jobs/job-run.entity.js';
import { Message } from './messages/message.entity.js';
import { AuditEvent } from './privacy/audit-event.entity.js';
import { User } from './users/user.entity.js';

/** Every entity of the app, for the data source (database/data-source.ts) and migration:generate. */
export const entities = [
  User,
  Session,
  RefreshToken,
  FriendRequest,
  Friendship,
  Block,
  Conversation,
  ConversationMember,
  Message,
  Attachment,
  StorageDeletion,
  JobRun,
  AuditEvent,
  E2eeDevice,
  E2eeOneTimeKey,
  E2eeFallbackKey,
  E2eeToDeviceMessage,
  E2eeToDeviceTxn,
  E2eeDeviceListChange,
];
