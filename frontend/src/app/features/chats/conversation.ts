import {
  afterRenderEffect,
  ChangeDetectionStrategy,
  Component,
  computed,
  effect,
  ElementRef,
  inject,
  input,
  signal,
  untracked,
  viewChild,
} from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatDialog } from '@angular/material/dialog';
import { MatProgressSpinnerModule } from '@angular/material/progress-spinner';
import { ReplyBar } from './actions/reply-bar';
import { moveRowFocus } from './actions/roving-rows';
import { MessageDecryptor } from './message-decryptor';
import type { ShownMessage } from './shown-message';
import { buildTimeline, leadingNotices, type TimelineItem } from './timeline';
import { Realtime } from '../../core/realtime';
import { Icon } from '../../shared/icon';
import { confirmAction } from '../../shared/confirm-dialog';
import { InView } from '../../shared/in-view';
import { Toasts } from '../../shared/toasts';
import { FileDrop } from './attachments/file-drop';
import { UploadsStore } from './attachments/uploads-store';
import { Composer } from './composer';
import { ConversationHeader } from './conversation-header';
import { MuteToggle } from './mute-toggle';
import { ConversationStore } from './conversation-store';
import { HistoryScroll } from './history-scroll';
import type { TimerSetting } from './expiry';
import { MessageItem } from './message-item';
import { Outbox } from './outbox/outbox';
import { TimerPicker, type TimerScope } from './timer-picker';
import { TrustNotices } from '../../core/crypto/trust-notices';
import { placeTrustNotices, TrustNoticeItem } from './trust-notice';
import { TrustWarning } from './trust-warning';

/** The page of one conversation: wires its store to the header, the history, the picker and the composer. */
@Component({
  selector: 'app-conversation',
  imports: [Composer, ConversationHeader, Icon, InView, MatButtonModule, MatProgressSpinnerModule, MessageItem, MuteToggle, ReplyBar, TimerPicker, TrustNoticeItem, TrustWarning],
  providers: [ConversationStore, UploadsStore],
  hostDirectives: [FileDrop],
  changeDetection: ChangeDetectionStrategy.OnPush,
  host: { '(document:visibilitychange)': 'store.markRead()' },
  templateUrl: './conversation.html',
  styles: `
    :host { display: flex; flex-direction: column; flex: 1; min-height: 0; position: relative; }
    .drop-zone { position: absolute; inset: 8px; z-index: 2; display: flex; flex-direction: column; align-items: center; justify-content: center; gap: 8px;
      border: 3px dashed var(--mat-sys-primary); border-radius: 16px; pointer-events: none; --icon-size: 48px;
      background: color-mix(in srgb, var(--mat-sys-primary-container) 88%, transparent); color: var(--mat-sys-on-primary-container); font: var(--mat-sys-title-medium); }
    .history { flex: 1; overflow-y: auto; overflow-anchor: none; padding: 8px 12px; min-height: 0; }
    .older { display: flex; justify-content: center; min-height: 36px; align-items: center; }
    .start { text-align: center; margin: 4px 0 12px; font: var(--mat-sys-label-medium); color: var(--mat-sys-on-surface-variant); }
    .empty, .error { text-align: center; color: var(--mat-sys-on-surface-variant); font: var(--mat-sys-body-medium); }
    .error { color: var(--mat-sys-error); }
    .messages { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 6px; }
    .day { align-self: center; margin: 8px 0 2px; padding: 2px 12px; border-radius: 12px; font: var(--mat-sys-label-medium);
      background: var(--mat-sys-surface-container); color: var(--mat-sys-on-surface-variant); }
    .notice { align-self: center; text-align: center; font: var(--mat-sys-label-medium); color: var(--mat-sys-on-surface-variant); padding: 2px 12px; }
    .latest { position: absolute; right: 16px; bottom: 96px; z-index: 1; }
  `,
})
export class Conversation {
  /** The route parameter `:id`. */
  readonly id = input.required<string>();
  protected readonly store = inject(ConversationStore);
  protected readonly uploads = inject(UploadsStore);
  protected readonly drop = inject(FileDrop);
  protected readonly realtime = inject(Realtime);
  protected readonly outbox = inject(Outbox);
  private readonly dialog = inject(MatDialog);
  private readonly toasts = inject(Toasts);
  private readonly host = inject<ElementRef<HTMLElement>>(ElementRef);
  private readonly history = viewChild<ElementRef<HTMLElement>>('history');
  protected readonly composer = viewChild.required(Composer);
  private pickerOpener: HTMLElement | null = null;
  /** Which timer the open picker sets; null while it is closed. */
  protected readonly pickerScope = signal<TimerScope | null>(null);
  private readonly decryptor = inject(MessageDecryptor);
  private readonly messageList = viewChild<ElementRef<HTMLElement>>('messageList');
  /** The message the next one answers, shown above the composer; null for a plain message. */
  protected readonly replyingTo = signal<ShownMessage | null>(null);
  /** The row holding the history's Tab stop (by clientId); the newest when none was focused. */
  private readonly focusedRow = signal<string | null>(null);
  /** The message just jumped to from a reply's quote. */
  protected readonly highlightedId = signal<string | null>(null);
  protected readonly nameOf = (senderId: string): string => (senderId === this.store.myId() ? 'You' : this.peerName() || 'Deleted user');
  /** Messages with their reactions, replies' targets and day labels. */
  protected readonly timeline = computed<TimelineItem[]>(() => {
    const context = {
      me: this.store.myId(),
      nameOf: this.nameOf,
      keyOf: (entry: ShownMessage) => {
        const shown = this.decryptor.contentOf(entry.message);
        return shown.kind === 'ok' && shown.content.type === 'reaction' ? (shown.content.key ?? null) : null;
      },
      now: new Date(),
    };
    return buildTimeline(this.store.messages(), context, this.store.notices());
  });
  /** Changes made before the first loaded message (or in an empty history). */
  protected readonly firstNotices = computed(() => leadingNotices(this.timeline(), this.store.notices()));
  protected readonly activeRow = computed(() => {
    const items = this.timeline();
    const focused = this.focusedRow();
    return items.some((item) => item.entry.message.clientId === focused) ? focused : (items.at(-1)?.entry.message.clientId ?? null);
  });
  /** Follows new messages at the bottom, loads older ones at the top, and offers "Jump to latest". */
  protected readonly scroll = new HistoryScroll({
    history: () => this.history()?.nativeElement,
    list: () => this.messageList()?.nativeElement,
    timeline: () => this.timeline(),
  });
  private openedId: string | null = null;
  /** Unsent text of the other conversations opened in this pane, in memory only. */
  private readonly drafts = new Map<string, string>();
  /** The peer erased their account: the history stays readable, but nobody is there to write to. */
  protected readonly peerGone = computed(() => this.store.conversation()?.peer === null);
  /** Why nothing can be written here, live: a block, an unfriend or an erasure updates the conversation. */
  protected readonly readOnly = computed(() => (this.peerGone() ? 'peer-gone' : (this.store.conversation()?.readOnly ?? null)));
  protected readonly peerName = computed(() => {
    const conversation = this.store.conversation();
    if (!conversation) return '';
    return conversation.peer?.displayName ?? 'Deleted user';
  });

  private readonly trustNotices = inject(TrustNotices);
  /** "You verified …" and "… identity changed" lines, among the messages by time. */
  protected readonly notices = computed(() => {
    const peerId = this.store.conversation()?.peer?.id;
    const notices = peerId ? this.trustNotices.notices().filter((notice) => notice.peerId === peerId) : [];
    // Placed among the rows the history shows: a reaction is no row of its own.
    return placeTrustNotices(this.timeline().map((item) => item.entry), notices, this.store.hasOlder());
  });

  constructor() {
    // Unknown until loaded: files then wait encrypted rather than go out in the clear.
    this.uploads.setEncrypted(() => this.store.conversation()?.encrypted ?? true);
    effect(() => {
      const id = this.id();
      if (id !== this.openedId) {
        if (this.openedId !== null) {
          // Files, a recording, an edit or text meant for another conversation are not sent to this one;
          // each conversation keeps its own draft while the page lives.
          this.uploads.clear();
          const left = untracked(() => this.composer()).swapDraft(this.drafts.get(id) ?? '');
          if (left) this.drafts.set(this.openedId, left);
          else this.drafts.delete(this.openedId);
        }
        this.openedId = id;
        this.scroll.reset();
        this.replyingTo.set(null);
        this.focusedRow.set(null);
        this.pickerScope.set(null);
        void this.store.open(id);
      }
    });
    // Once a conversation has loaded, the composer takes the focus, so the user can write at once; unless
    // the user has gone on to another field meanwhile (Ctrl+K's chat search while the chat loaded), whose
    // keystrokes would otherwise end up in the composer.
    let focusedFor: string | null = null;
    afterRenderEffect(() => {
      const loadedId = this.store.loaded() ? this.store.conversation()?.id : null;
      if (!loadedId || loadedId === focusedFor) return;
      focusedFor = loadedId;
      if (!this.readOnly() && !this.typingElsewhere()) this.composer().focus();
    });
    // Reactions are not rendered as rows, so their content is asked for here.
    effect(() => this.decryptor.request(this.store.messages().filter((entry) => entry.message.kind === 'reaction').map((entry) => entry.message)));
  }

  /** Whether the focus is in a text field outside this conversation. */
  private typingElsewhere(): boolean {
    const active = document.activeElement;
    return active instanceof HTMLElement && active.matches('input, textarea, select, [contenteditable=""], [contenteditable="true"]') && !this.host.nativeElement.contains(active);
  }

  protected jumpToLatest(): void {
    this.scroll.jumpToLatest();
    this.composer().focus();
  }

  protected onRowsKeydown(event: KeyboardEvent): void {
    const list = this.messageList()?.nativeElement;
    if (list) moveRowFocus(event, list);
  }

  protected onRowFocus(clientId: string): void {
    this.focusedRow.set(clientId);
  }

  protected startReply(entry: ShownMessage): void {
    this.replyingTo.set(entry);
    this.composer().focus();
  }

  /** Adds the reaction, or removes yours when you already reacted with that emoji. */
  protected toggleReaction(item: TimelineItem, key: string): void {
    const group = item.reactions.find((candidate) => candidate.key === key);
    if (group?.mine) void this.store.remove(group.mine);
    else if (!group?.reacted) void this.store.react(item.entry.message.id, key);
  }

  protected async confirmRemove(entry: ShownMessage): Promise<void> {
    const confirmed = await confirmAction(this.dialog, {
      title: 'Delete this message?',
      message: `It will be deleted for you and ${this.peerName()}, with its reactions. This cannot be undone.`,
      confirm: 'Delete',
    });
    if (!confirmed) return;
    if (this.replyingTo()?.message.id === entry.message.id) this.replyingTo.set(null);
    await this.store.remove(entry.message.id);
  }

  /** Scrolls to the message a reply answers (loading older pages to find it) and highlights it. */
  protected async jumpTo(messageId: string | null): Promise<void> {
    if (!messageId) return;
    if (await this.scroll.reveal(messageId)) this.highlightedId.set(messageId);
    else this.toasts.info('The original message is no longer in this conversation.');
  }

  protected togglePicker(scope: TimerScope): void {
    if (this.pickerScope() === scope) {
      this.closePicker();
      return;
    }
    if (this.pickerScope() === null) this.pickerOpener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    this.pickerScope.set(scope);
  }

  /** Closes the picker and gives the focus back to what opened it. */
  protected closePicker(): void {
    this.pickerScope.set(null);
    if (this.pickerOpener) this.pickerOpener.focus();
    else this.composer().focus();
    this.pickerOpener = null;
  }

  protected pickTimer(scope: TimerScope, setting: TimerSetting): void {
    if (scope === 'default') void this.store.setDefaultTimer(setting);
    else this.store.setNextTimer(setting);
  }

  protected async turnOnEncryption(): Promise<void> {
    const confirmed = await confirmAction(this.dialog, {
      title: 'Turn on end-to-end encryption?',
      message: `New messages and files will be readable only on your and ${this.peerName()}\u2019s devices. Earlier messages stay as they are. Encryption cannot be turned off again.`,
      confirm: 'Turn on',
    });
    if (confirmed) await this.store.turnOnEncryption();
  }

  /** A refused message back in the composer: it leaves the history and goes again, as new, once sent. */
  protected async editAndResend(clientId: string, text: string): Promise<void> {
    await this.store.discard(clientId);
    this.composer().startDraft(text);
  }

  protected send(text: string): void {
    this.scroll.stickToBottom();
    if (this.pickerScope() === 'message') this.pickerScope.set(null);
    const replyTo = this.replyingTo()?.message.id ?? null;
    this.replyingTo.set(null);
    void this.store.send(text, this.uploads.take(), replyTo);
  }
}
