import { Attachment } from './attachments/attachment.entity.js';
import { StorageDeletion } from './attachments/storage-deletion.entity.js';
import { RefreshToken } from './auth/refresh-token.entity.js';
import { Session } from './auth/session.entity.js';
import { ConversationMember } from './conversations/conversation-member.entity.js';
import { Conversation } from './conversations/conversation.entity.js';
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
];
