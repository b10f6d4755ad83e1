import { ChangeDetectionStrategy, Component, computed, effect, inject, input } from '@angular/core';
import type { ConversationDto } from '../../../sdk/models/conversation-dto';
import { Avatar } from '../../shared/avatar';
import { Icon } from '../../shared/icon';
import { contentPreview, messagePreview } from '../../shared/message-preview';
import { shortTime } from '../../shared/short-time';
import { describeTimer, durationShort } from './expiry';
import { MessageDecryptor } from './message-decryptor';

@Component({
  selector: 'app-chat-list-item',
  imports: [Avatar, Icon],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <app-avatar [name]="conversation().peer?.displayName" [user]="conversation().peer" />
    <div class="text">
      <div class="line">
        <span class="name" [class.deleted]="!conversation().peer">{{ name() }}</span>
        @if (timer(); as timer) {
          <span class="timer" data-testid="list-timer" [attr.aria-label]="timer.label" [title]="timer.label">
            <app-icon name="timer" />{{ timer.short }}
          </span>
        }
        <time class="time" [attr.datetime]="activityAt()">{{ time() }}</time>
      </div>
      <div class="line">
        <span class="preview" [class.muted]="muted()">
          @if (mine()) {
            <span class="you">You: </span>
          }
          {{ preview() }}
        </span>
        @if (conversation().unreadCount > 0) {
          <span class="badge" data-testid="unread-badge" [attr.aria-label]="unreadLabel()">{{ unreadText() }}</span>
        }
      </div>
    </div>
  `,
  styles: `
    :host { display: flex; align-items: center; gap: 12px; padding: 12px 16px; min-width: 0; }
    .text { flex: 1; min-width: 0; display: flex; flex-direction: column; gap: 2px; }
    .line { display: flex; align-items: baseline; gap: 8px; min-width: 0; }
    .name { flex: 1; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap;
      font: var(--mat-sys-title-medium); color: var(--mat-sys-on-surface); }
    .name.deleted { font-style: italic; color: var(--mat-sys-on-surface-variant); }
    .timer { flex: none; display: inline-flex; align-items: center; gap: 2px; align-self: center; --icon-size: 14px;
      font: var(--mat-sys-label-small); color: var(--mat-sys-on-surface-variant); }
    .time { flex: none; font: var(--mat-sys-label-medium); color: var(--mat-sys-on-surface-variant); }
    .preview { flex: 1; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap;
      font: var(--mat-sys-body-medium); color: var(--mat-sys-on-surface-variant); }
    .preview.muted { font-style: italic; }
    .you { color: var(--mat-sys-on-surface); }
    .badge { flex: none; min-width: 20px; height: 20px; padding: 0 6px; box-sizing: border-box; border-radius: 10px;
      display: inline-grid; place-items: center; font: var(--mat-sys-label-small); font-weight: 600;
      background: var(--mat-sys-primary); color: var(--mat-sys-on-primary); }
  `,
})
export class ChatListItem {
  readonly conversation = input.required<ConversationDto>();
  /** The signed-in user's id, to mark their own last message. */
  readonly myId = input<string | null>(null);

  protected readonly name = computed(() => this.conversation().peer?.displayName ?? 'Deleted user');
  /** The conversation's default timer, when one is on. */
  protected readonly timer = computed(() => {
    const { defaultExpiresInSeconds: seconds, defaultExpiryMode: mode } = this.conversation();
    if (seconds === null) return null;
    return { short: durationShort(seconds), label: `Disappearing messages: ${describeTimer({ seconds, mode })}` };
  });
  private readonly decryptor = inject(MessageDecryptor);
  /** The last message in a line; an encrypted one through the same decryption as the conversation. */
  protected readonly preview = computed(() => {
    const last = this.conversation().lastMessage;
    if (last === null || last.deleted || last.ciphertext == null) return messagePreview(last);
    const shown = this.decryptor.contentOf(last);
    return shown.kind === 'ok' ? contentPreview(shown.content) : 'Encrypted message';
  });
  protected readonly muted = computed(() => {
    const last = this.conversation().lastMessage;
    return last === null || last.deleted || (last.ciphertext != null && this.decryptor.contentOf(last).kind !== 'ok');
  });

  constructor() {
    effect(() => {
      const last = this.conversation().lastMessage;
      if (last) this.decryptor.request([last]);
    });
  }
  protected readonly mine = computed(() => {
    const last = this.conversation().lastMessage;
    return last !== null && !last.deleted && last.senderId === this.myId();
  });
  protected readonly activityAt = computed(() => this.conversation().lastMessage?.createdAt ?? this.conversation().lastActivityAt);
  protected readonly time = computed(() => shortTime(this.activityAt()));
  protected readonly unreadText = computed(() => (this.conversation().unreadCount > 99 ? '99+' : String(this.conversation().unreadCount)));
  protected readonly unreadLabel = computed(() => {
    const count = this.conversation().unreadCount;
    return count === 1 ? '1 unread message' : `${count} unread messages`;
  });
}
