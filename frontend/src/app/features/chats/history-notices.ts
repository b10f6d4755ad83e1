import { signal } from '@angular/core';
import type { Api } from '../../../sdk/api';
import { conversationsNotices } from '../../../sdk/fn/conversations/conversations-notices';
import type { ConversationDto } from '../../../sdk/models/conversation-dto';
import type { ConversationNoticeDto } from '../../../sdk/models/conversation-notice-dto';
import { timerChangeNotice } from './expiry';
import type { ShownMessage } from './shown-message';
import type { HistoryNotice } from './timeline';

const PAGE_SIZE = 100;

export interface HistoryNoticesDeps {
  api: Api;
  conversationId: () => string | null;
}

/** Where the loaded history starts: its oldest message's seq, and whether older messages are still to load. */
export interface LoadedRange {
  oldestSeq: number | null;
  hasOlder: boolean;
}

/**
 * The open conversation's notices (timer changed, encryption turned on) as the server keeps them, so
 * that a reload or another device shows the same ones at the same place. Kept by id: a notice seen
 * live and listed again after a reconnect shows once. Older pages load as the history reaches them.
 */
export class HistoryNotices {
  /** Oldest first. */
  private readonly items = signal<ConversationNoticeDto[]>([]);
  /** The next older page, null when every older notice is loaded; undefined before the first page. */
  private olderCursor: string | null | undefined = undefined;

  readonly all = this.items.asReadonly();

  constructor(private readonly deps: HistoryNoticesDeps) {}

  reset(): void {
    this.items.set([]);
    this.olderCursor = undefined;
  }

  /** The newest page, merged with what is there: on open, after a change and after a reconnect. */
  async refresh(range: LoadedRange): Promise<void> {
    const id = this.deps.conversationId();
    if (!id) return;
    const page = await this.deps.api.invoke(conversationsNotices, { id, limit: PAGE_SIZE });
    if (this.deps.conversationId() !== id) return;
    this.merge(page.items);
    if (this.olderCursor === undefined) this.olderCursor = page.nextCursor;
    await this.reach(id, range);
  }

  /** Loads older pages until they cover the loaded history (all of them once it is loaded from the start). */
  async reach(id: string, range: LoadedRange): Promise<void> {
    while (this.olderCursor && this.deps.conversationId() === id) {
      const oldest = this.items()[0];
      if (range.hasOlder && oldest && range.oldestSeq !== null && oldest.afterSeq < range.oldestSeq) return;
      const page = await this.deps.api.invoke(conversationsNotices, { id, limit: PAGE_SIZE, cursor: this.olderCursor });
      if (this.deps.conversationId() !== id) return;
      this.merge(page.items);
      this.olderCursor = page.nextCursor;
    }
  }

  private merge(notices: ConversationNoticeDto[]): void {
    const byId = new Map(this.items().map((notice) => [notice.id, notice]));
    for (const notice of notices) byId.set(notice.id, notice);
    this.items.set([...byId.values()].sort(byPlace));
  }
}

function byPlace(a: ConversationNoticeDto, b: ConversationNoticeDto): number {
  return a.afterSeq - b.afterSeq || a.createdAt.localeCompare(b.createdAt) || a.type.localeCompare(b.type) || a.id.localeCompare(b.id);
}

/**
 * The notices as the history shows them, in words ("You", the peer's name, or "Deleted user" for an
 * erased account); while older messages are still to load, those from before the loaded ones wait.
 */
export function shownNotices(
  notices: readonly ConversationNoticeDto[],
  conversation: ConversationDto | null,
  myId: string | null,
  range: LoadedRange,
): HistoryNotice[] {
  return notices
    .filter((notice) => !range.hasOlder || range.oldestSeq === null || notice.afterSeq >= range.oldestSeq)
    .map((notice) => ({ id: notice.id, afterSeq: notice.afterSeq, text: noticeText(notice, whoDid(notice, conversation, myId)) }));
}

function whoDid(notice: ConversationNoticeDto, conversation: ConversationDto | null, myId: string | null): string {
  if (notice.actorId !== null && notice.actorId === myId) return 'You';
  if (notice.actorId !== null && notice.actorId === conversation?.peer?.id) return conversation.peer.displayName;
  return 'Deleted user';
}

/** "Alice turned on end-to-end encryption.", "You set new messages to disappear 1 day after sending." */
export function noticeText(notice: ConversationNoticeDto, who: string): string {
  if (notice.type === 'encryption') return `${who} turned on end-to-end encryption.`;
  return timerChangeNotice(who, { seconds: notice.expiresInSeconds, mode: notice.expiryMode ?? 'afterSend' });
}

/** The seq of the oldest message the server sent of the loaded history; null when none is loaded. */
export function oldestSeq(entries: readonly ShownMessage[]): number | null {
  return entries.find((entry) => entry.state === 'sent')?.message.seq ?? null;
}
