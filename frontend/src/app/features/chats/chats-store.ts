import { computed, DestroyRef, inject, Injectable, signal } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { Api } from '../../../sdk/api';
import { conversationsList } from '../../../sdk/fn/conversations/conversations-list';
import type { ConversationDto } from '../../../sdk/models/conversation-dto';
import type { MessageDto } from '../../../sdk/models/message-dto';
import { describeError } from '../../core/api-errors';
import { AuthStore } from '../../core/auth-store';
import { Realtime } from '../../core/realtime';
import { hasExpired, nextExpiryIn, startReadClock } from './expiry';
import { MessageDecryptor } from './message-decryptor';
import { followPeerChanges } from './peer-changes';
import { ExpiryClock } from './expiry-clock';

const PAGE_SIZE = 50;

/** The signed-in user's conversations, newest activity first. Provided by the chat list page. */
@Injectable()
export class ChatsStore {
  private readonly api = inject(Api);
  private readonly items = signal<ConversationDto[]>([]);
  private readonly nextCursor = signal<string | null>(null);
  private readonly loadState = signal<'idle' | 'loading' | 'loaded' | 'error'>('idle');
  private readonly errorMessage = signal<string | null>(null);
  private readonly expiryAlarm = inject(ExpiryClock).alarm(() => this.watchExpiry());
  private lastExpiryReload = 0;

  readonly conversations = this.items.asReadonly();
  readonly loading = computed(() => this.loadState() === 'loading');
  readonly loaded = computed(() => this.loadState() === 'loaded');
  readonly error = this.errorMessage.asReadonly();
  readonly hasMore = computed(() => this.nextCursor() !== null);

  private readonly auth = inject(AuthStore);
  private readonly realtime = inject(Realtime);
  private readonly decryptor = inject(MessageDecryptor);

  constructor() {
    const destroyRef = inject(DestroyRef);
    // After every (re)connect: events sent meanwhile are not replayed, so read the list again.
    this.realtime.ready$.pipe(takeUntilDestroyed(destroyRef)).subscribe(() => {
      if (this.loadState() !== 'idle') void this.load(true);
    });
    followPeerChanges(this.realtime, this.api, destroyRef, () => this.items(), (conversation) => this.patch(conversation.id, conversation));
    this.realtime.on('message.created').pipe(takeUntilDestroyed(destroyRef)).subscribe((message) => this.applyMessage(message, true));
    this.realtime.on('message.updated').pipe(takeUntilDestroyed(destroyRef)).subscribe((message) => this.applyMessage(message, false));
    this.realtime.on('message.deleted').pipe(takeUntilDestroyed(destroyRef)).subscribe((message) => {
      this.decryptor.forget([message.id]);
      this.applyMessage(message, false);
    });
    this.realtime.on('message.expired').pipe(takeUntilDestroyed(destroyRef)).subscribe((event) => {
      // What was decrypted of them goes from memory too, not only from the list.
      this.decryptor.forget(event.messageIds);
      void this.load(true);
    });
    this.realtime.on('conversation.read').pipe(takeUntilDestroyed(destroyRef)).subscribe((event) => {
      const item = this.items().find((conversation) => conversation.id === event.conversationId);
      if (!item) return;
      if (item.lastMessage) {
        const lastMessage = startReadClock(item.lastMessage, event.userId, event.seq, event.readAt);
        if (lastMessage !== item.lastMessage) this.patch(item.id, { lastMessage });
      }
      if (event.userId !== this.auth.user()?.id) {
        this.patch(item.id, { peerLastReadSeq: Math.max(item.peerLastReadSeq ?? 0, event.seq) });
        return;
      }
      if (item.lastMessage && item.lastMessage.seq <= event.seq) this.patch(event.conversationId, { unreadCount: 0 });
      else void this.load(true);
    });
    this.realtime
      .on('conversation.updated')
      .pipe(takeUntilDestroyed(destroyRef))
      .subscribe(({ conversationId, defaultExpiresInSeconds, defaultExpiryMode, encrypted }) =>
        this.patch(conversationId, { defaultExpiresInSeconds, defaultExpiryMode, ...(encrypted ? { encrypted } : {}) }),
      );
  }

  /**
   * When a last message reaches its `expiresAt`, the list is read again for the message before it and
   * the unread count without it (the sweep's `message.expired` may come later).
   */
  private watchExpiry(): void {
    const now = Date.now();
    const lastMessages = this.items().map((item) => item.lastMessage);
    const expired = lastMessages.filter((message) => message && !message.deleted && hasExpired(message, now));
    this.decryptor.forget(expired.map((message) => message!.id));
    if (expired.length > 0) {
      // At most once a second: with a clock ahead of the server's, the server still serves it for a moment.
      const wait = this.lastExpiryReload + 1000 - now;
      if (wait <= 0) {
        this.expiryAlarm.set(null);
        this.lastExpiryReload = now;
        void this.load(true);
      } else {
        this.expiryAlarm.set(wait);
      }
      return;
    }
    this.expiryAlarm.set(nextExpiryIn(lastMessages.map((message) => message?.expiresAt), now));
  }

  /** A live message: new ones move their conversation to the top and count as unread when from the peer. */
  private applyMessage(message: MessageDto, created: boolean): void {
    const item = this.items().find((conversation) => conversation.id === message.conversationId);
    if (!item) {
      if (created) void this.load(true);
      return;
    }
    // A reaction is shown under its message: it is neither the chat's last message nor unread.
    if (message.kind === 'reaction') return;
    if (!created) {
      if (item.lastMessage?.id === message.id) this.patch(item.id, { lastMessage: message });
      if (message.deleted && message.senderId !== this.auth.user()?.id) void this.load(true);
      return;
    }
    if (item.lastMessage && item.lastMessage.seq >= message.seq) return;
    const fromPeer = message.senderId !== this.auth.user()?.id;
    const updated = {
      ...item,
      lastMessage: message,
      lastActivityAt: message.createdAt,
      unreadCount: fromPeer ? item.unreadCount + 1 : item.unreadCount,
    };
    this.items.update((items) => [updated, ...items.filter((conversation) => conversation.id !== item.id)]);
    this.watchExpiry();
  }

  private patch(id: string, changes: Partial<ConversationDto>): void {
    this.items.update((items) => items.map((item) => (item.id === id ? { ...item, ...changes } : item)));
    this.watchExpiry();
  }

  /** `quiet`: a refresh in the background, keeping the list on screen. */
  async load(quiet = false): Promise<void> {
    if (!quiet) this.loadState.set('loading');
    this.errorMessage.set(null);
    try {
      const page = await this.api.invoke(conversationsList, { limit: PAGE_SIZE });
      this.items.set(page.items);
      this.nextCursor.set(page.nextCursor);
      this.loadState.set('loaded');
      this.watchExpiry();
    } catch (error) {
      this.errorMessage.set(describeError(error));
      this.loadState.set('error');
    }
  }

  async loadMore(): Promise<void> {
    const cursor = this.nextCursor();
    if (cursor === null || this.loading()) return;
    this.loadState.set('loading');
    try {
      const page = await this.api.invoke(conversationsList, { limit: PAGE_SIZE, cursor });
      const known = new Set(this.items().map((item) => item.id));
      this.items.update((items) => [...items, ...page.items.filter((item) => !known.has(item.id))]);
      this.nextCursor.set(page.nextCursor);
      this.loadState.set('loaded');
      this.watchExpiry();
    } catch (error) {
      this.errorMessage.set(describeError(error));
      this.loadState.set('error');
    }
  }
}
