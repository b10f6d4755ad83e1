import type { ConversationDto } from '../../../sdk/models/conversation-dto';
import type { RealtimeEvents } from '../../core/realtime';
import { timerChangeNotice } from './expiry';

/**
 * The conversation once a `conversation.updated` event is in, and what to tell the user about the
 * peer's change (their own changes are not announced back to them). Encryption never goes off again,
 * whatever an event says.
 */
export function applyConversationUpdate(
  conversation: ConversationDto,
  event: RealtimeEvents['conversation.updated'],
  myId: string | null,
): { next: ConversationDto; notices: string[] } {
  const { defaultExpiresInSeconds, defaultExpiryMode } = event;
  const encrypted = conversation.encrypted || event.encrypted === true;
  const next = { ...conversation, defaultExpiresInSeconds, defaultExpiryMode, encrypted };
  if (event.userId === myId) return { next, notices: [] };
  const who = conversation.peer?.displayName ?? 'Deleted user';
  const notices: string[] = [];
  if (encrypted && !conversation.encrypted) notices.push(`${who} turned on end-to-end encryption.`);
  const timerChanged = defaultExpiresInSeconds !== conversation.defaultExpiresInSeconds || defaultExpiryMode !== conversation.defaultExpiryMode;
  if (timerChanged || encrypted === conversation.encrypted) notices.push(timerChangeNotice(who, { seconds: defaultExpiresInSeconds, mode: defaultExpiryMode }));
  return { next, notices };
}
