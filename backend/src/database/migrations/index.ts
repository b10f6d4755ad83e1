import { Init1795240433176 } from './1795240433176-Init.js';
import { MessagingCore1795242538583 } from './1795242538583-MessagingCore.js';
import { Attachments1795245386513 } from './1795245386513-Attachments.js';
import { AuditEvents1795246663848 } from './1795246663848-AuditEvents.js';
import { SendMessageFunction1795262831626 } from './1795262831626-SendMessageFunction.js';
import { SchemaFunctions1796529042318 } from './1796529042318-SchemaFunctions.js';
import { EncryptedMessages1796539255298 } from './1796539255298-EncryptedMessages.js';
import { E2eeDevicesAndKeys1796540379077 } from './1796540379077-E2eeDevicesAndKeys.js';
import { CrossSigningAndKeyBackup1796550174939 } from './1796550174939-CrossSigningAndKeyBackup.js';
import { SessionDevices1796550203828 } from './1796550203828-SessionDevices.js';
import { PushSubscriptionsAndMute1796550737254 } from './1796550737254-PushSubscriptionsAndMute.js';
import { TwoFactorTotp1796552804361 } from './1796552804361-TwoFactorTotp.js';
import { Passkeys1796572303912 } from './1796572303912-Passkeys.js';
import { SessionSecondFactor1796572317663 } from './1796572317663-SessionSecondFactor.js';
import { ProfilePictures1796572400302 } from './1796572400302-ProfilePictures.js';
import { ConversationNotices1796584411520 } from './1796584411520-ConversationNotices.js';
import { InboxSummary1796584475310 } from './1796584475310-InboxSummary.js';

export const migrations = [Init1795240433176, MessagingCore1795242538583, Attachments1795245386513, AuditEvents1795246663848, SendMessageFunction1795262831626, SchemaFunctions1796529042318, EncryptedMessages1796539255298, E2eeDevicesAndKeys1796540379077, CrossSigningAndKeyBackup1796550174939, SessionDevices1796550203828, PushSubscriptionsAndMute1796550737254, TwoFactorTotp1796552804361, Passkeys1796572303912, SessionSecondFactor1796572317663, ProfilePictures1796572400302, ConversationNotices1796584411520, InboxSummary1796584475310];
