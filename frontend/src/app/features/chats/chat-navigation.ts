import type { ConversationDto } from '../../../sdk/models/conversation-dto';

/** Whether a chat's peer matches what was typed in the chat search (name or username, any case). */
export function matchesChat(conversation: ConversationDto, query: string): boolean {
  const needle = query.trim().toLocaleLowerCase();
  if (!needle) return true;
  const peer = conversation.peer;
  const haystack = peer ? `${peer.displayName} ${peer.username}` : 'Deleted user';
  return haystack.toLocaleLowerCase().includes(needle);
}

/**
 * The chat `by` places from the open one in `list`, staying at the ends; the first (or last) when
 * none of them is open. Null when there is nowhere to go.
 */
export function stepChat(list: readonly ConversationDto[], activeId: string | null, by: 1 | -1): string | null {
  if (list.length === 0) return null;
  const at = list.findIndex((conversation) => conversation.id === activeId);
  if (at === -1) return (by === 1 ? list[0] : list[list.length - 1]).id;
  const next = list[Math.min(list.length - 1, Math.max(0, at + by))];
  return next.id === activeId ? null : next.id;
}
