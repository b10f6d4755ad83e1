import { DestroyRef, effect, inject, Injectable, untracked } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { Router } from '@angular/router';
import { merge } from 'rxjs';
import { Api } from '../../../sdk/api';
import { conversationsList } from '../../../sdk/fn/conversations/conversations-list';
import type { ConversationDto } from '../../../sdk/models/conversation-dto';
import type { MessageDto } from '../../../sdk/models/message-dto';
import { contentPreview, messagePreview } from '../../shared/message-preview';
import { AuthStore } from '../auth-store';
import { DeviceCrypto } from '../crypto/device-crypto';
import { Realtime } from '../realtime';
import { NotificationPrefs } from './notification-prefs';
import { NotifyingTab } from './notifying-tab';
import { playMessageTone } from './tone';
import { UnreadBadge } from './unread-badge';

/** The conversations the unread total counts: the server's first page is far more than anyone has unread chats in. */
const COUNTED = 100;

/**
 * While signed in: keeps the tab's unread total right (every tab and device reads the server's count
 * again after a message, a read anywhere, a deletion or an expiry) and, for a new message from the
 * peer in a conversation that is not muted, plays the tone and shows a desktop notification while the
 * tab is hidden (in one tab of the browser only: NotifyingTab). Started with the signed-in routes (start-notifications.ts).
 */
@Injectable({ providedIn: 'root' })
export class MessageNotifier {
  private readonly api = inject(Api);
  private readonly auth = inject(AuthStore);
  private readonly router = inject(Router);
  private readonly badge = inject(UnreadBadge);
  private readonly prefs = inject(NotificationPrefs);
  private readonly notifyingTab = inject(NotifyingTab);
  private readonly device = inject(DeviceCrypto);
  private conversations = new Map<string, ConversationDto>();
  private loading: Promise<void> | null = null;
  private again = false;

  constructor() {
    const realtime = inject(Realtime);
    const destroyRef = inject(DestroyRef);
    merge(realtime.ready$, realtime.on('conversation.read'), realtime.on('message.deleted'), realtime.on('message.expired'))
      .pipe(takeUntilDestroyed(destroyRef))
      .subscribe(() => void this.refresh());
    realtime
      .on('message.created')
      .pipe(takeUntilDestroyed(destroyRef))
      .subscribe((message) => void this.messageCreated(message));
    effect(() => {
      if (this.auth.signedIn()) untracked(() => void this.refresh());
      else this.badge.setUnread(0);
    });
  }

  /** Reads the conversations again (after a mute, say); concurrent calls share one request and one follow-up. */
  refresh(): Promise<void> {
    if (this.loading) {
      this.again = true;
      return this.loading;
    }
    this.loading = this.load().finally(() => {
      this.loading = null;
      if (this.again) {
        this.again = false;
        void this.refresh();
      }
    });
    return this.loading;
  }

  private async load(): Promise<void> {
    try {
      const page = await this.api.invoke(conversationsList, { limit: COUNTED });
      this.conversations = new Map(page.items.map((conversation) => [conversation.id, conversation]));
      this.badge.setUnread(page.items.reduce((sum, conversation) => sum + conversation.unreadCount, 0));
    } catch {
      // Offline or signed out meanwhile: the next event or reconnection reads it again.
    }
  }

  private async messageCreated(message: MessageDto): Promise<void> {
    await this.refresh();
    if (message.senderId === this.auth.user()?.id || message.kind !== 'message') return;
    const conversation = this.conversations.get(message.conversationId);
    // One tab of the browser rings, not every open one.
    if (!conversation || conversation.muted || !this.notifyingTab.active()) return;
    const { sound, desktop, previews } = this.prefs.settings();
    const hidden = document.visibilityState === 'hidden';
    if (sound && (hidden || !this.router.url.startsWith(`/chats/${conversation.id}`))) playMessageTone();
    if (!desktop || !hidden || typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
    const name = conversation.peer?.displayName ?? 'Deleted user';
    // The chat list's line, only with previews on.
    const body = previews ? await this.preview(message) : '';
    const notification = new Notification(`New message from ${name}`, { body, tag: conversation.id });
    notification.onclick = () => {
      window.focus();
      void this.router.navigateByUrl(`/chats/${conversation.id}`);
      notification.close();
    };
  }

  /**
   * An encrypted message's line is decrypted here, in the tab, by this device (the push payload and the
   * server never have it); empty when it cannot be read yet, say before its room key arrived.
   */
  private async preview(message: MessageDto): Promise<string> {
    if (message.ciphertext == null) return messagePreview(message);
    const service = this.device.service();
    if (!service || message.deleted) return '';
    try {
      const result = await service.decrypt({ ...message, ciphertext: message.ciphertext });
      return result.kind === 'ok' ? contentPreview(result.content) : '';
    } catch {
      return '';
    }
  }
}
