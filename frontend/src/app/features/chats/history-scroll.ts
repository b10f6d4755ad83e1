import { afterNextRender, afterRenderEffect, computed, DestroyRef, inject, Injector, signal } from '@angular/core';
import { ConversationStore } from './conversation-store';
import type { TimelineItem } from './timeline';

/** Older messages start loading this far before the top is reached. */
const PRELOAD_PX = 200;
/** Within this distance of the bottom, new messages keep the view at the bottom. */
const STICK_PX = 80;
/** Pages of older messages loaded, at most, to find the message a reply answers. */
const MAX_PAGES_TO_FIND = 10;

/** The conversation page's history as rendered. */
export interface HistoryView {
  /** The element that scrolls. */
  history(): HTMLElement | undefined;
  /** The list of rows inside it. */
  list(): HTMLElement | undefined;
  /** The rows shown. */
  timeline(): TimelineItem[];
}

/**
 * Where the history of the open conversation is scrolled. Newest at the bottom: at the bottom the view
 * follows new messages (and images and videos as they get their size); older pages load as the top
 * comes near, keeping the messages on screen where they were; away from the bottom it counts the
 * peer's new messages for "Jump to latest". Needs the conversation page's injection context.
 */
export class HistoryScroll {
  private readonly store = inject(ConversationStore);
  private readonly injector = inject(Injector);
  private readonly destroyRef = inject(DestroyRef);
  /** Whether the view was at (or near) the bottom at the last scroll, so new messages keep it there. */
  private atBottom = true;
  private readonly away = signal(false);
  /** The newest message when the view left the bottom; those after it count as new. */
  private readonly awaySeq = signal(0);
  /** The history's height before older messages were added above, to keep the view where it was. */
  private heightBeforeOlder: number | null = null;

  readonly preloadPx = PRELOAD_PX;
  /** Away from the bottom, "Jump to latest" shows. */
  readonly awayFromBottom = this.away.asReadonly();
  /** Messages from the peer that arrived while the view was away from the bottom. */
  readonly newCount = computed(() => {
    if (!this.away()) return 0;
    const since = this.awaySeq();
    return this.view.timeline().filter(({ entry }) => entry.state === 'sent' && entry.message.seq > since && entry.message.senderId !== this.store.myId()).length;
  });

  constructor(private readonly view: HistoryView) {
    // Follow new messages while the view is at the bottom; when older ones were added above, keep the
    // messages that were on screen where they were.
    afterRenderEffect(() => {
      this.store.messages();
      const element = this.view.history();
      if (!element) return;
      if (this.heightBeforeOlder !== null) {
        element.scrollTop += element.scrollHeight - this.heightBeforeOlder;
        this.heightBeforeOlder = null;
        return;
      }
      if (this.atBottom) element.scrollTop = element.scrollHeight;
    });
    // Images and videos get their size after the render: at the bottom, the view follows them there.
    afterNextRender(() => {
      const list = this.view.list();
      if (!list || typeof ResizeObserver === 'undefined') return;
      const observer = new ResizeObserver(() => {
        const element = this.view.history();
        if (element && this.atBottom && this.heightBeforeOlder === null) element.scrollTop = element.scrollHeight;
      });
      observer.observe(list);
      this.destroyRef.onDestroy(() => observer.disconnect());
    });
  }

  /** Keeps the view at the bottom from now on, as when the user sends or another conversation opens. */
  stickToBottom(): void {
    this.atBottom = true;
    this.away.set(false);
  }

  /** Another conversation opens: at its bottom, with nothing older on its way. */
  reset(): void {
    this.stickToBottom();
    this.heightBeforeOlder = null;
  }

  onScroll(): void {
    const element = this.view.history();
    if (!element) return;
    this.atBottom = element.scrollHeight - element.scrollTop - element.clientHeight <= STICK_PX;
    if (this.atBottom === !this.away()) return;
    if (!this.atBottom) this.awaySeq.set(Math.max(0, ...this.view.timeline().filter((item) => item.entry.state === 'sent').map((item) => item.entry.message.seq)));
    this.away.set(!this.atBottom);
  }

  jumpToLatest(): void {
    const element = this.view.history();
    if (!element) return;
    this.stickToBottom();
    element.scrollTop = element.scrollHeight;
  }

  onTopInView(visible: boolean): void {
    if (visible) void this.loadOlder();
  }

  async loadOlder(): Promise<void> {
    const element = this.view.history();
    if (!element || !this.store.hasOlder() || this.store.loadingOlder()) return;
    this.heightBeforeOlder = element.scrollHeight;
    await this.store.loadOlder();
    if (this.store.olderFailed()) this.heightBeforeOlder = null;
    // A short page on a tall screen leaves the top in view, and the sentinel fires only on a change.
    afterNextRender(
      () => {
        if (element.scrollTop <= PRELOAD_PX && this.store.hasOlder() && !this.store.olderFailed()) void this.loadOlder();
      },
      { injector: this.injector },
    );
  }

  /** Scrolls to the row of a message (loading older pages to find it) and focuses it; false when it is not in the history. */
  async reveal(messageId: string): Promise<boolean> {
    const list = this.view.list();
    if (!list) return false;
    const find = () => list.querySelector<HTMLElement>(`li[data-message-id="${CSS.escape(messageId)}"]`);
    for (let page = 0; !find() && this.store.hasOlder() && page < MAX_PAGES_TO_FIND; page++) {
      await this.loadOlder();
      await new Promise<void>((resolve) => afterNextRender(() => resolve(), { injector: this.injector }));
    }
    const row = find();
    if (!row) return false;
    row.scrollIntoView?.({ block: 'center' });
    row.focus({ preventScroll: true });
    return true;
  }
}
