import { Attachment } from './attachments/attachment.entity.js';
import { StorageDeletion } from './attachments/storage-deletion.entity.js';
import { RefreshToken } from './auth/refresh-token.entity.js';
import { LoginChallenge } from './auth/login-challenge.entity.js';
import { RecoveryCode } from './auth/recovery-code.entity.js';
import { PasskeyChallenge } from './auth/passkeys/passkey-challenge.entity.js';
import { UserPasskey } from './auth/passkeys/passkey.entity.js';
import { Session } from './auth/session.entity.js';
import { UserTotp } from './auth/totp.entity.js';
import { ConversationNotice } from './conversations/conversation-notice.entity.js';
import { ConversationMember } from './conversations/conversation-member.entity.js';
import { Conversation } from './conversations/conversation.entity.js';
import { E2eeBackupKey } from './e2ee/e2ee-backup-key.entity.js';
import { E2eeBackupVersion } from './e2ee/e2ee-backup-version.entity.js';
import { E2eeCrossSigningKey } from './e2ee/e2ee-cross-signing-key.entity.js';
import { E2eeDeviceListChange } from './e2ee/e2ee-device-list-change.entity.js';
import { E2eeDevice } from './e2ee/e2ee-device.entity.js';
import { E2eeFallbackKey } from './e2ee/e2ee-fallback-key.entity.js';
import { E2eeOneTimeKey } from './e2ee/e2ee-one-time-key.entity.js';
import { E2eeSignature } from './e2ee/e2ee-signature.entity.js';
import { E2eeToDeviceMessage } from './e2ee/e2ee-to-device-message.entity.js';
import { E2eeToDeviceTxn } from './e2ee/e2ee-to-device-txn.entity.js';
import { Block } from './friends/block.entity.js';
import { FriendRequest } from './friends/friend-request.entity.js';
import { Friendship } from './friends/friendship.entity.js';
import { JobRun } from './jobs/job-run.entity.js';
import { Message } from './messages/message.entity.js';
import { AuditEvent } from './privacy/audit-event.entity.js';
import { PushSubscription } from './push/push-subscription.entity.js';
import { User } from './users/user.entity.js';

/** Every entity of the app, for the data source (database/data-source.ts) and migration:generate. */
export const entities = [
  User,
  Session,
  RefreshToken,
  UserTotp,
  RecoveryCode,
  LoginChallenge,
  UserPasskey,
  PasskeyChallenge,
  FriendRequest,
  Friendship,
  Block,
  Conversation,
  ConversationMember,
  ConversationNotice,
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
  PushSubscription,
  E2eeCrossSigningKey,
  E2eeSignature,
  E2eeBackupVersion,
  E2eeBackupKey,
];
