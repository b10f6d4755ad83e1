import { computed, inject, Injectable, signal } from '@angular/core';
import { Api } from '../../../sdk/api';
import { conversationsList } from '../../../sdk/fn/conversations/conversations-list';
import type { ConversationDto } from '../../../sdk/models/conversation-dto';
import { describeError } from '../../core/api-errors';

const PAGE_SIZE = 50;

/** The signed-in user's conversations, newest activity first. Provided by the chat list page. */
@Injectable()
export class ChatsStore {
  private readonly api = inject(Api);
  private readonly items = signal<ConversationDto[]>([]);
  private readonly nextCursor = signal<string | null>(null);
  private readonly loadState = signal<'idle' | 'loading' | 'loaded' | 'error'>('idle');
  private readonly errorMessage = signal<string | null>(null);

  readonly conversations = this.items.asReadonly();
  readonly loading = computed(() => this.loadState() === 'loading');
  readonly loaded = computed(() => this.loadState() === 'loaded');
  readonly error = this.errorMessage.asReadonly();
  readonly hasMore = computed(() => this.nextCursor() !== null);

  async load(): Promise<void> {
    this.loadState.set('loading');
    this.errorMessage.set(null);
    try {
      const page = await this.api.invoke(conversationsList, { limit: PAGE_SIZE });
      this.items.set(page.items);
      this.nextCursor.set(page.nextCursor);
      this.loadState.set('loaded');
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
    } catch (error) {
      this.errorMessage.set(describeError(error));
      this.loadState.set('error');
    }
  }
}
