import { ChangeDetectionStrategy, Component, computed, effect, inject, input, output, viewChild } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MessageActions } from './actions/message-actions';
import { MessageReactions } from './actions/message-reactions';
import { ReplyQuote } from './actions/reply-quote';
import type { ReactionGroup } from './timeline';
import { isEncryptedAttachment } from '../../core/crypto/message-content';
import { shortTime } from '../../shared/short-time';
import { encryptedAttachment, type ShownAttachment } from './attachments/attachment-files';
import { MessageAttachments } from './attachments/message-attachments';
import { PendingUploads } from './attachments/pending-uploads';
import type { ShownMessage } from './shown-message';
import { Countdown } from './countdown';
import { MessageDecryptor } from './message-decryptor';
import { contentPreview } from '../../shared/message-preview';

/** A press this long on a touch screen opens the message's menu. */
const LONG_PRESS_MS = 500;

/**
 * One message in the history: its bubble (with the quote of the message it answers), its reactions, its
 * state, and its one menu of actions. The row is a stop of the history's roving focus (one Tab stop for
 * the list; arrows move between messages); Enter, the context-menu key, a right click or a long press
 * opens the menu.
 */
@Component({
  selector: 'li[app-message-item]',
  imports: [Countdown, MatButtonModule, MessageActions, MessageAttachments, MessageReactions, PendingUploads, ReplyQuote],
  changeDetection: ChangeDetectionStrategy.OnPush,
  host: {
    class: 'row',
    '[class.mine]': 'mine()',
    'data-testid': 'message',
    '[attr.data-message-id]': 'entry().message.id',
    '[attr.tabindex]': 'active() ? 0 : -1',
    '(keydown)': 'onKeydown($event)',
    '(contextmenu)': 'onContextMenu($event)',
    '(touchstart)': 'startLongPress()',
    '(touchend)': 'cancelLongPress()',
    '(touchmove)': 'cancelLongPress()',
    '(touchcancel)': 'cancelLongPress()',
  },
  template: `
    @let message = entry().message;
    @let state = entry().state;
    @let shown = content();
    <div class="line">
    <div class="bubble" [class.deleted]="message.deleted" [class.pending]="state === 'pending'" [class.highlight]="highlighted()">
      @if (replyTo() !== undefined && !message.deleted) {
        <app-reply-quote [target]="replyTo() ?? null" [nameOf]="nameOf()" (jump)="jump.emit()" />
      }
      @if (message.deleted) {
        <span class="body muted">Message deleted</span>
      } @else if (shown.kind === 'undecryptable') {
        <span class="body muted" data-testid="undecryptable">{{ shown.message }}</span>
      } @else if (shown.kind === 'decrypting') {
        <span class="body muted" data-testid="decrypting">Decrypting…</span>
      } @else {
        @if (entry().uploads?.length) {
          <app-pending-uploads [uploads]="entry().uploads!" (cancelled)="uploadsCancelled.emit()" />
        } @else if (attachments().length) {
          <app-message-attachments [attachments]="attachments()" [keep]="message.expiresInSeconds === null" />
        }
        @if (shown.content.body) {
          <span class="body" dir="auto">{{ shown.content.body }}</span>
        }
      }
      <span class="meta">
        @if (message.expiresInSeconds !== null && state === 'sent' && !message.deleted) {
          <app-countdown [expiresAt]="message.expiresAt" [expiresInSeconds]="message.expiresInSeconds" />
        }
        @if (message.editedAt && !message.deleted) {
          <span class="edited">edited</span>
        }
        @if (state === 'pending') {
          <span data-testid="pending">Sending…</span>
        } @else {
          <time [attr.datetime]="message.createdAt">{{ time() }}</time>
        }
      </span>
    </div>
    @if (hasActions()) {
      <app-message-actions
        class="more-actions"
        [summary]="summary()"
        [text]="body()"
        [canEdit]="mine() && shown.kind === 'ok'"
        [canDelete]="mine()"
        [reacted]="reactedKeys()"
        (reply)="reply.emit()"
        (react)="react.emit($event)"
        (edit)="edit.emit(body())"
        (remove)="remove.emit()"
      />
    }
    </div>
    @if (reactions().length && !message.deleted) {
      <app-message-reactions [groups]="reactions()" (toggle)="react.emit($event.key)" />
    }
    @if (state === 'failed') {
      <div class="failed" role="alert" data-testid="not-sent">
        <span class="reason">Not sent. {{ entry().reason }}</span>
        <span class="failed-actions">
          <button mat-button type="button" (click)="retry.emit()">Retry</button>
          @if (shown.kind === 'ok' && !entry().uploads?.length) {
            <button mat-button type="button" (click)="resend.emit(body())" [attr.aria-label]="'Edit and send again: ' + summary()">Edit</button>
          }
          <button mat-button type="button" (click)="discard.emit()" [attr.aria-label]="'Discard unsent message: ' + summary()">Discard</button>
        </span>
      </div>
    } @else if (state === 'pending' && waiting()) {
      <div class="waiting" data-testid="waiting">{{ waiting() }}</div>
    }
    @if (seen()) {
      <div class="seen" data-testid="seen">Seen</div>
    }
  `,
  styles: `
    :host { display: flex; flex-direction: column; align-items: flex-start; }
    :host(.mine) { align-items: flex-end; }
    .bubble { max-width: min(75%, 560px); padding: 8px 12px; border-radius: 16px; display: flex; flex-direction: column; gap: 2px;
      background: var(--mat-sys-surface-container-high); color: var(--mat-sys-on-surface); overflow-wrap: anywhere; }
    :host(.mine) .bubble { background: var(--mat-sys-primary-container); color: var(--mat-sys-on-primary-container); }
    .bubble.pending { opacity: 0.7; }
    .body { white-space: pre-wrap; font: var(--mat-sys-body-large); }
    .muted { font-style: italic; color: var(--mat-sys-on-surface-variant); }
    .meta { display: flex; gap: 6px; justify-content: flex-end; font: var(--mat-sys-label-small); color: var(--mat-sys-on-surface-variant); }
    .line { display: flex; align-items: center; gap: 2px; max-width: 100%; }
    :host(.mine) .line { flex-direction: row-reverse; }
    .line .bubble { max-width: min(75vw, 560px); }
    .more-actions { opacity: 0; }
    :host(:hover) .more-actions, :host(:focus-within) .more-actions, :host(:focus) .more-actions { opacity: 1; }
    @media (hover: none) { .more-actions { opacity: 1; } }
    :host(:focus-visible) { outline: 2px solid var(--mat-sys-primary); outline-offset: 2px; border-radius: 8px; }
    .bubble.highlight { animation: highlight 2s ease-out; }
    @keyframes highlight { from { box-shadow: 0 0 0 3px var(--mat-sys-primary); } to { box-shadow: 0 0 0 3px transparent; } }
    .seen { font: var(--mat-sys-label-small); color: var(--mat-sys-on-surface-variant); padding-right: 4px; }
    .failed { color: var(--mat-sys-error); font: var(--mat-sys-label-medium); display: flex; flex-direction: column; align-items: inherit; max-width: min(75%, 560px); }
    .failed-actions { display: flex; }
    .failed-actions button { min-width: 0; }
    .waiting { font: var(--mat-sys-label-small); color: var(--mat-sys-on-surface-variant); }
  `,
})
export class MessageItem {
  readonly entry = input.required<ShownMessage>();
  /** Sent by the signed-in user. */
  readonly mine = input(false);
  /** The newest of your messages the peer has read. */
  readonly seen = input(false);
  /** Why sending is paused for every message (rate limit), or null. */
  readonly waiting = input<string | null>(null);
  readonly retry = output();
  /** Edit an unsent message and send it again, with its text. */
  readonly resend = output<string>();
  /** Drop an unsent message. */
  readonly discard = output();
  /** The row holding the history's Tab stop. */
  readonly active = input(false);
  /** The reactions to it, one group per emoji. */
  readonly reactions = input<readonly ReactionGroup[]>([]);
  /** For a reply, the message it answers (null when not loaded); undefined for other messages. */
  readonly replyTo = input<ShownMessage | null | undefined>(undefined);
  /** A sender's name as shown. */
  readonly nameOf = input<(senderId: string) => string>(() => '');
  /** Just jumped to (a reply's quote was clicked). */
  readonly highlighted = input(false);
  /** Edit, with the text as it is now. */
  readonly edit = output<string>();
  /** Delete (asks first). */
  readonly remove = output();
  readonly reply = output();
  /** Add, or remove when you already reacted with it, this emoji. */
  readonly react = output<string>();
  /** The reply's quote was clicked: show the message it answers. */
  readonly jump = output();
  /** The user cancelled the files of an unsent message. */
  readonly uploadsCancelled = output();

  private readonly decryptor = inject(MessageDecryptor);
  /** What it says: a plaintext message as it is, an encrypted one once decrypted (or why it cannot be). */
  protected readonly content = computed(() => this.decryptor.contentOf(this.entry().message));
  protected readonly body = computed(() => {
    const shown = this.content();
    return shown.kind === 'ok' ? (shown.content.body ?? '') : '';
  });
  /** A plaintext message's files as the server describes them; an encrypted one's from its content. */
  protected readonly attachments = computed<readonly ShownAttachment[]>(() => {
    const { message } = this.entry();
    const shown = this.content();
    if (message.ciphertext == null || shown.kind !== 'ok') return message.attachments;
    return (shown.content.attachments ?? []).filter(isEncryptedAttachment).map((info) => encryptedAttachment(info, message.createdAt));
  });
  /** The message in a few words, for labels (its text, or its attachments). */
  protected readonly summary = computed(() => {
    const shown = this.content();
    if (shown.kind !== 'ok') return shown.kind === 'undecryptable' ? shown.message : 'Encrypted message';
    return shown.content.body ?? contentPreview(shown.content);
  });

  /** A sent message that is still there has the menu. */
  protected readonly hasActions = computed(() => this.entry().state === 'sent' && !this.entry().message.deleted);
  protected readonly reactedKeys = computed(() => this.reactions().filter((group) => group.reacted).map((group) => group.key));
  private readonly actions = viewChild(MessageActions);
  private longPress: ReturnType<typeof setTimeout> | null = null;

  constructor() {
    effect(() => this.decryptor.request([this.entry().message]));
  }

  protected onKeydown(event: KeyboardEvent): void {
    if (event.target !== event.currentTarget) return;
    if (event.key === 'Enter' || event.key === 'ContextMenu' || (event.key === 'F10' && event.shiftKey)) {
      event.preventDefault();
      this.actions()?.open();
    }
  }

  protected onContextMenu(event: MouseEvent): void {
    const actions = this.actions();
    // With text selected, the browser's own menu (Copy) stays.
    if (!actions || window.getSelection()?.isCollapsed === false) return;
    event.preventDefault();
    actions.open();
  }

  protected startLongPress(): void {
    this.cancelLongPress();
    this.longPress = setTimeout(() => this.actions()?.open(), LONG_PRESS_MS);
  }

  protected cancelLongPress(): void {
    if (this.longPress !== null) clearTimeout(this.longPress);
    this.longPress = null;
  }
  protected readonly time = computed(() => shortTime(this.entry().message.createdAt));
}
