import {
  afterNextRender,
  afterRenderEffect,
  Injector,
  ChangeDetectionStrategy,
  effect,
  Component,
  computed,
  type ElementRef,
  inject,
  input,
  signal,
  viewChild,
} from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatProgressSpinnerModule } from '@angular/material/progress-spinner';
import { RouterLink } from '@angular/router';
import type { MessageDto } from '../../../sdk/models/message-dto';
import { Realtime } from '../../core/realtime';
import { Avatar } from '../../shared/avatar';
import { Icon } from '../../shared/icon';
import { InView } from '../../shared/in-view';
import { shortTime } from '../../shared/short-time';
import { AttachButton } from './attachments/attach-button';
import { FileDrop } from './attachments/file-drop';
import { MessageAttachments } from './attachments/message-attachments';
import { PendingUploads } from './attachments/pending-uploads';
import { UploadTray } from './attachments/upload-tray';
import { UploadsStore } from './attachments/uploads-store';
import { ConversationStore } from './conversation-store';
import { Countdown } from './countdown';
import { describeTimer, durationShort, type TimerSetting } from './expiry';
import { messagePreview } from './message-preview';
import { TimerPicker, type TimerScope } from './timer-picker';

/** Send `typing` at most this often while the user types. */
const TYPING_INTERVAL_MS = 2_500;
/** Older messages start loading this far before the top is reached. */
const PRELOAD_PX = 200;
/** Within this distance of the bottom, new messages keep the view at the bottom. */
const STICK_PX = 80;

@Component({
  selector: 'app-conversation',
  imports: [
    Avatar,
    AttachButton,
    Countdown,
    Icon,
    InView,
    MatButtonModule,
    MatProgressSpinnerModule,
    MessageAttachments,
    PendingUploads,
    RouterLink,
    TimerPicker,
    UploadTray,
  ],
  providers: [ConversationStore, UploadsStore],
  hostDirectives: [FileDrop],
  changeDetection: ChangeDetectionStrategy.OnPush,
  host: { '(document:visibilitychange)': 'store.markRead()' },
  template: `
    <header class="head">
      <a mat-button routerLink="/chats" aria-label="Back to chats">‹ Chats</a>
      <app-avatar [name]="store.conversation()?.peer?.displayName" size="small" />
      <div class="who">
        <h1 class="name">{{ peerName() }}</h1>
        @if (store.peerTyping()) {
          <span class="typing" data-testid="typing" aria-live="polite">typing…</span>
        }
      </div>
      @if (store.conversation()) {
        @let timer = store.defaultTimer();
        <button
          mat-button
          type="button"
          class="timer-chip"
          data-testid="default-timer"
          [class.on]="timer.seconds !== null"
          [title]="'Disappearing messages: ' + describeTimer(timer)"
          [attr.aria-expanded]="pickerScope() === 'default'"
          (click)="togglePicker('default')"
        >
          <app-icon [name]="timer.seconds === null ? 'timer-off' : 'timer'" />
          <span class="sr-only">Disappearing messages: </span>
          @if (timer.seconds !== null) {
            <span class="chip-text">{{ durationShort(timer.seconds) }}{{ timer.mode === 'afterRead' ? ' after read' : '' }}</span>
          } @else {
            <span class="sr-only">off</span>
          }
        </button>
      }
    </header>
    <section class="history" #history aria-label="Messages" role="log" (scroll)="onScroll()">
      @if (store.loaded() && store.hasOlder()) {
        <div class="older" appInView (appInView)="onTopInView($event)" [appInViewRoot]="history" [appInViewMargin]="preloadPx">
          @if (store.loadingOlder()) {
            <mat-spinner diameter="24" aria-label="Loading older messages" />
          } @else if (store.olderFailed()) {
            <button mat-button type="button" (click)="loadOlder()">Try again to load older messages</button>
          } @else {
            <button mat-button type="button" class="older-button" (click)="loadOlder()">Load older messages</button>
          }
        </div>
      } @else if (store.loaded() && store.messages().length > 0) {
        <p class="start" data-testid="history-start">This is the beginning of your conversation.</p>
      }
      @if (store.loading()) {
        <div class="older"><mat-spinner diameter="32" aria-label="Loading messages" /></div>
      }
      @if (store.loaded() && store.messages().length === 0) {
        <p class="empty">No messages yet. Say hello!</p>
      }
      @if (store.error(); as error) {
        <p class="error" role="alert">{{ error }}</p>
      }
      <ul class="messages">
        @for (entry of store.messages(); track entry.message.clientId) {
          @let message = entry.message;
          @let mine = message.senderId === store.myId();
          <li class="row" [class.mine]="mine" data-testid="message">
            <div class="bubble" [class.deleted]="message.deleted" [class.pending]="entry.state === 'pending'">
              @if (message.deleted) {
                <span class="body muted">Message deleted</span>
              } @else {
                @if (entry.uploads?.length) {
                  <app-pending-uploads [uploads]="entry.uploads!" (cancelled)="store.discardIfEmpty(message.clientId)" />
                } @else if (message.attachments.length) {
                  <app-message-attachments [attachments]="message.attachments" [keep]="message.expiresInSeconds === null" />
                }
                @if (message.body) {
                  <span class="body">{{ message.body }}</span>
                }
              }
              <span class="meta">
                @if (message.expiresInSeconds !== null && entry.state === 'sent' && !message.deleted) {
                  <app-countdown [expiresAt]="message.expiresAt" [expiresInSeconds]="message.expiresInSeconds" />
                }
                @if (message.editedAt && !message.deleted) {
                  <span class="edited">edited</span>
                }
                @if (entry.state === 'pending') {
                  <span>Sending…</span>
                } @else {
                  <time [attr.datetime]="message.createdAt">{{ time(message.createdAt) }}</time>
                }
              </span>
            </div>
            @if (entry.state === 'failed') {
              <div class="failed" role="alert">
                Not sent.
                <button mat-button type="button" (click)="store.retry(message.clientId)">Retry</button>
              </div>
            }
            @if (mine && entry.state === 'sent' && !message.deleted) {
              <div class="actions">
                <button mat-button type="button" (click)="startEdit(message.id, message.body ?? '')" [attr.aria-label]="'Edit message: ' + describe(message)">Edit</button>
                <button mat-button type="button" (click)="store.remove(message.id)" [attr.aria-label]="'Delete message: ' + describe(message)">Delete</button>
              </div>
            }
            @if (message.id === store.seenMessageId()) {
              <div class="seen" data-testid="seen">Seen</div>
            }
          </li>
        }
      </ul>
    </section>
    @if (pickerScope(); as scope) {
      <app-timer-picker
        [scope]="scope"
        [value]="scope === 'default' ? store.defaultTimer() : store.timerForNext()"
        [busy]="scope === 'default' && store.savingDefault()"
        (scopeChange)="pickerScope.set($event)"
        (picked)="pickTimer(scope, $event)"
        (closed)="closePicker()"
      />
    }
    @if (drop.dragging()) {
      <div class="drop-zone" data-testid="drop-zone" aria-hidden="true"><app-icon name="upload" />Drop files to send them to {{ peerName() }}</div>
    }
    <form class="composer" (submit)="$event.preventDefault(); submit()">
      @if (peerGone()) {
        <p class="gone" role="note" data-testid="peer-deleted">This account was deleted. You can read the history, but nobody can receive new messages here.</p>
      }
      @if (store.nextTimer(); as next) {
        <div class="next-timer" data-testid="next-timer">
          <app-icon [name]="next.seconds === null ? 'timer-off' : 'timer'" />
          <span>Next message: {{ next.seconds === null ? 'no timer' : describeTimer(next) }}</span>
          <button mat-button type="button" (click)="store.setNextTimer(null)" aria-label="Reset the timer for the next message to the chat's">Reset</button>
        </div>
      }
      <app-upload-tray />
      @if (editingId()) {
        <div class="editing">
          Editing message
          <button mat-button type="button" (click)="cancelEdit()">Cancel</button>
        </div>
      }
      <div class="compose-row">
        <app-attach-button [disabled]="!!editingId() || peerGone()" />
        @let forNext = store.timerForNext();
        <button
          mat-icon-button
          type="button"
          class="timer-button"
          data-testid="timer-button"
          [class.on]="forNext.seconds !== null"
          [attr.aria-label]="'Timer for the next message: ' + describeTimer(forNext) + '. Change'"
          [attr.aria-expanded]="pickerScope() === 'message'"
          (click)="togglePicker('message')"
        >
          <app-icon [name]="forNext.seconds === null ? 'timer-off' : 'timer'" />
        </button>
        <textarea
          #composer
          class="input"
          rows="1"
          aria-label="Message"
          [disabled]="peerGone()"
          placeholder="Message"
          [value]="draft()"
          (input)="onInput($any($event.target).value)"
          (keydown.enter)="onEnter($any($event))"
          (keydown.escape)="cancelEdit()"
        ></textarea>
        <button mat-flat-button type="submit" [disabled]="peerGone() || (!draft().trim() && (!!editingId() || uploads.empty()))">
          {{ editingId() ? 'Save' : 'Send' }}
        </button>
      </div>
    </form>
  `,
  styles: `
    :host { display: flex; flex-direction: column; height: calc(100dvh - 64px); min-height: 0; position: relative; }
    .drop-zone { position: absolute; inset: 8px; z-index: 2; display: flex; flex-direction: column; align-items: center; justify-content: center; gap: 8px;
      border: 3px dashed var(--mat-sys-primary); border-radius: 16px; pointer-events: none; --icon-size: 48px;
      background: color-mix(in srgb, var(--mat-sys-primary-container) 88%, transparent); color: var(--mat-sys-on-primary-container); font: var(--mat-sys-title-medium); }
    .head { display: flex; align-items: center; gap: 8px; padding: 8px; border-bottom: 1px solid var(--mat-sys-outline-variant); }
    .who { display: flex; flex-direction: column; min-width: 0; }
    .name { margin: 0; font: var(--mat-sys-title-medium); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    .typing { font: var(--mat-sys-label-medium); color: var(--mat-sys-primary); }
    .history { flex: 1; overflow-y: auto; overflow-anchor: none; padding: 8px 12px; min-height: 0; }
    .older { display: flex; justify-content: center; min-height: 36px; align-items: center; }
    .start { text-align: center; margin: 4px 0 12px; font: var(--mat-sys-label-medium); color: var(--mat-sys-on-surface-variant); }
    .timer-chip { margin-left: auto; flex: none; --icon-size: 18px; color: var(--mat-sys-on-surface-variant); }
    .timer-chip.on { color: var(--mat-sys-primary); }
    .timer-chip .chip-text { margin-left: 4px; }
    .sr-only { position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden; clip-path: inset(50%); white-space: nowrap; border: 0; }
    .timer-button { flex: none; color: var(--mat-sys-on-surface-variant); }
    .timer-button.on { color: var(--mat-sys-primary); }
    .next-timer { display: flex; align-items: center; gap: 6px; --icon-size: 16px; font: var(--mat-sys-label-medium); color: var(--mat-sys-primary); }
    .empty, .error { text-align: center; color: var(--mat-sys-on-surface-variant); font: var(--mat-sys-body-medium); }
    .error { color: var(--mat-sys-error); }
    .messages { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 6px; }
    .row { display: flex; flex-direction: column; align-items: flex-start; }
    .row.mine { align-items: flex-end; }
    .bubble { max-width: min(75%, 560px); padding: 8px 12px; border-radius: 16px; display: flex; flex-direction: column; gap: 2px;
      background: var(--mat-sys-surface-container-high); color: var(--mat-sys-on-surface); overflow-wrap: anywhere; }
    .mine .bubble { background: var(--mat-sys-primary-container); color: var(--mat-sys-on-primary-container); }
    .bubble.pending { opacity: 0.7; }
    .body { white-space: pre-wrap; font: var(--mat-sys-body-large); }
    .muted { font-style: italic; color: var(--mat-sys-on-surface-variant); }
    .meta { display: flex; gap: 6px; justify-content: flex-end; font: var(--mat-sys-label-small); color: var(--mat-sys-on-surface-variant); }
    .actions { display: flex; gap: 0; }
    .actions button { --mat-button-text-label-text-size: 12px; min-width: 0; }
    .seen { font: var(--mat-sys-label-small); color: var(--mat-sys-on-surface-variant); padding-right: 4px; }
    .failed { color: var(--mat-sys-error); font: var(--mat-sys-label-medium); }
    .composer { border-top: 1px solid var(--mat-sys-outline-variant); padding: 8px; display: flex; flex-direction: column; gap: 4px; }
    .gone { margin: 0; font: var(--mat-sys-body-medium); color: var(--mat-sys-on-surface-variant); }
    .editing { font: var(--mat-sys-label-medium); color: var(--mat-sys-on-surface-variant); }
    .compose-row { display: flex; gap: 8px; align-items: flex-end; }
    .input { flex: 1; min-width: 0; resize: none; max-height: 160px; field-sizing: content; padding: 10px 12px; border-radius: 20px;
      border: 1px solid var(--mat-sys-outline); background: var(--mat-sys-surface); color: var(--mat-sys-on-surface); font: var(--mat-sys-body-large); }
  `,
})
export class Conversation {
  /** The route parameter `:id`. */
  readonly id = input.required<string>();
  protected readonly store = inject(ConversationStore);
  protected readonly uploads = inject(UploadsStore);
  protected readonly drop = inject(FileDrop);
  private readonly realtime = inject(Realtime);
  private readonly injector = inject(Injector);
  protected readonly draft = signal('');
  protected readonly editingId = signal<string | null>(null);
  private readonly history = viewChild<ElementRef<HTMLElement>>('history');
  private readonly composer = viewChild<ElementRef<HTMLTextAreaElement>>('composer');
  private pickerOpener: HTMLElement | null = null;
  protected readonly preloadPx = PRELOAD_PX;
  protected readonly describeTimer = describeTimer;
  protected readonly durationShort = durationShort;
  /** Which timer the open picker sets; null while it is closed. */
  protected readonly pickerScope = signal<TimerScope | null>(null);
  /** Whether the view was at (or near) the bottom at the last scroll, so new messages keep it there. */
  private atBottom = true;
  private lastTypingAt = 0;
  /** The history's height before older messages were added above, to keep the view where it was. */
  private heightBeforeOlder: number | null = null;
  private openedId: string | null = null;
  /** The peer erased their account: the history stays readable, but nobody is there to write to. */
  protected readonly peerGone = computed(() => this.store.conversation()?.peer === null);
  protected readonly peerName = computed(() => {
    const conversation = this.store.conversation();
    if (!conversation) return '';
    return conversation.peer?.displayName ?? 'Deleted user';
  });

  constructor() {
    effect(() => {
      const id = this.id();
      if (id !== this.openedId) {
        // Files picked for another conversation are not sent to this one.
        if (this.openedId !== null) this.uploads.clear();
        this.openedId = id;
        this.atBottom = true;
        this.heightBeforeOlder = null;
        this.pickerScope.set(null);
        void this.store.open(id);
      }
    });
    // Newest at the bottom: follow new messages while the view is at the bottom; when older ones were
    // added above, keep the messages that were on screen where they were.
    afterRenderEffect(() => {
      this.store.messages();
      const element = this.history()?.nativeElement;
      if (!element) return;
      if (this.heightBeforeOlder !== null) {
        element.scrollTop += element.scrollHeight - this.heightBeforeOlder;
        this.heightBeforeOlder = null;
        return;
      }
      if (this.atBottom) element.scrollTop = element.scrollHeight;
    });
  }

  /** The message in a few words, for labels (its text, or its attachments). */
  protected describe(message: MessageDto): string {
    return message.body ?? messagePreview(message);
  }

  protected time(iso: string): string {
    return shortTime(iso);
  }

  protected onScroll(): void {
    const element = this.history()?.nativeElement;
    if (element) this.atBottom = element.scrollHeight - element.scrollTop - element.clientHeight <= STICK_PX;
  }

  protected onTopInView(visible: boolean): void {
    if (visible) void this.loadOlder();
  }

  protected async loadOlder(): Promise<void> {
    const element = this.history()?.nativeElement;
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
    (this.pickerOpener ?? this.composer()?.nativeElement)?.focus();
    this.pickerOpener = null;
  }

  protected pickTimer(scope: TimerScope, setting: TimerSetting): void {
    if (scope === 'default') void this.store.setDefaultTimer(setting);
    else this.store.setNextTimer(setting);
  }

  protected onInput(value: string): void {
    this.draft.set(value);
    const now = Date.now();
    const id = this.id();
    if (value.trim() && !this.editingId() && now - this.lastTypingAt >= TYPING_INTERVAL_MS) {
      this.lastTypingAt = now;
      this.realtime.typing(id);
    }
  }

  /** Enter sends; Shift+Enter adds a line (the textarea's own behaviour). */
  protected onEnter(event: KeyboardEvent): void {
    if (event.shiftKey || event.isComposing) return;
    event.preventDefault();
    this.submit();
  }

  protected startEdit(id: string, body: string): void {
    this.editingId.set(id);
    this.setDraft(body);
    this.composer()?.nativeElement.focus();
  }

  protected cancelEdit(): void {
    if (!this.editingId()) return;
    this.editingId.set(null);
    this.setDraft('');
  }

  /** The textarea too: `[value]` alone skips the write when the draft changed twice between renders. */
  private setDraft(value: string): void {
    this.draft.set(value);
    const textarea = this.composer()?.nativeElement;
    if (textarea) textarea.value = value;
  }

  protected submit(): void {
    const text = this.draft();
    if (this.peerGone()) return;
    const editing = this.editingId();
    if (!text.trim() && (editing || this.uploads.empty())) return;
    this.setDraft('');
    this.editingId.set(null);
    this.lastTypingAt = 0;
    if (editing) void this.store.edit(editing, text);
    else {
      this.atBottom = true;
      if (this.pickerScope() === 'message') this.pickerScope.set(null);
      void this.store.send(text, this.uploads.take());
    }
  }
}
