import { computed, signal } from '@angular/core';
import type { Api } from '../../../sdk/api';
import { messagesHistory } from '../../../sdk/fn/messages/messages-history';
import type { MessageDto } from '../../../sdk/models/message-dto';
import type { MessagePageDto } from '../../../sdk/models/message-page-dto';
import type { Toasts } from '../../shared/toasts';

const PAGE_SIZE = 50;

export interface HistoryPagesDeps {
  api: Api;
  toasts: Toasts;
  conversationId: () => string | null;
  /** Adds a page's messages to the history, in order. */
  merge: (messages: MessageDto[]) => void;
}

/**
 * The open conversation's history, a page at a time: the newest page on open, older pages as the
 * user scrolls up (one at a time; after a failure the next attempt tries again), and everything newer
 * than the newest message after a reconnect. A page that arrives once another conversation is open is dropped.
 */
export class HistoryPages {
  /** The `before` of the next older page; null once the history is loaded from its beginning. */
  private readonly olderCursor = signal<number | null>(null);
  private readonly loadingOlderValue = signal(false);
  private readonly olderFailedValue = signal(false);

  readonly hasOlder = computed(() => this.olderCursor() !== null);
  readonly loadingOlder = this.loadingOlderValue.asReadonly();
  /** The last attempt to load older messages failed (scrolling up again, or a button, retries). */
  readonly olderFailed = this.olderFailedValue.asReadonly();

  constructor(private readonly deps: HistoryPagesDeps) {}

  /** Another conversation opens: nothing of it is loaded yet. */
  reset(): void {
    this.olderCursor.set(null);
    this.olderFailedValue.set(false);
    this.loadingOlderValue.set(false);
  }

  /** The newest page of conversation `id`, for `start` to show once the conversation has come too. */
  newest(id: string): Promise<MessagePageDto> {
    return this.deps.api.invoke(messagesHistory, { id, limit: PAGE_SIZE });
  }

  start(page: MessagePageDto): void {
    this.deps.merge(page.items);
    this.olderCursor.set(cursorOf(page));
  }

  /** Adds the page before the oldest loaded message; true once it is added. */
  async older(id: string): Promise<boolean> {
    const before = this.olderCursor();
    if (before === null || this.loadingOlderValue()) return false;
    this.loadingOlderValue.set(true);
    this.olderFailedValue.set(false);
    try {
      const page = await this.deps.api.invoke(messagesHistory, { id, before, limit: PAGE_SIZE });
      if (this.deps.conversationId() !== id) return false;
      this.deps.merge(page.items);
      this.olderCursor.set(cursorOf(page));
      return true;
    } catch (error) {
      if (this.deps.conversationId() !== id) return false;
      this.olderFailedValue.set(true);
      this.deps.toasts.error(error);
      return false;
    } finally {
      if (this.deps.conversationId() === id) this.loadingOlderValue.set(false);
    }
  }

  /** Adds every message newer than `after`, page by page; false when another conversation opened meanwhile. */
  async newer(id: string, after: number): Promise<boolean> {
    for (;;) {
      const page = await this.deps.api.invoke(messagesHistory, { id, after, limit: PAGE_SIZE });
      if (this.deps.conversationId() !== id) return false;
      this.deps.merge(page.items);
      if (page.nextCursor === null) return true;
      after = Number(page.nextCursor);
    }
  }
}

function cursorOf(page: MessagePageDto): number | null {
  return page.nextCursor === null ? null : Number(page.nextCursor);
}
