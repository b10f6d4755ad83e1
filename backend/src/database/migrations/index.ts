import { Init1795240433176 } from './1795240433176-Init.js';
import { MessagingCore1795242538583 } from './1795242538583-MessagingCore.js';
import { Attachments1795245386513 } from './1795245386513-Attachments.js';
import { AuditEvents1795246663848 } from './1795246663848-AuditEvents.js';
import { SendMessageFunction1795262831626 } from './1795262831626-SendMessageFunction.js';
import { SchemaFunctions1796529042318 } from './1796529042318-SchemaFunctions.js';
import { EncryptedMessages1796539255298 } from './1796539255298-EncryptedMessages.js';
import { E2eeDevicesAndKeys1796540379077 } from './1796540379077-E2eeDevicesAndKeys.js';

export const migrations = [Init1795240433176, MessagingCore1795242538583, Attachments1795245386513, AuditEvents1795246663848, SendMessageFunction1795262831626, SchemaFunctions1796529042318, EncryptedMessages1796539255298, E2eeDevicesAndKeys1796540379077];
