import {
  afterNextRender,
  afterRenderEffect,
  ChangeDetectionStrategy,
  Component,
  computed,
  effect,
  type ElementRef,
  inject,
  Injector,
  input,
  signal,
  viewChild,
} from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatDialog } from '@angular/material/dialog';
import { MatProgressSpinnerModule } from '@angular/material/progress-spinner';
import { Realtime } from '../../core/realtime';
import { Icon } from '../../shared/icon';
import { confirmAction } from '../../shared/confirm-dialog';
import { InView } from '../../shared/in-view';
import { FileDrop } from './attachments/file-drop';
import { UploadsStore } from './attachments/uploads-store';
import { Composer } from './composer';
import { ConversationHeader } from './conversation-header';
import { ConversationStore } from './conversation-store';
import type { TimerSetting } from './expiry';
import { MessageItem } from './message-item';
import { TimerPicker, type TimerScope } from './timer-picker';

/** Older messages start loading this far before the top is reached. */
const PRELOAD_PX = 200;
/** Within this distance of the bottom, new messages keep the view at the bottom. */
const STICK_PX = 80;

/** The page of one conversation: wires its store to the header, the history, the picker and the composer. */
@Component({
  selector: 'app-conversation',
  imports: [Composer, ConversationHeader, Icon, InView, MatButtonModule, MatProgressSpinnerModule, MessageItem, TimerPicker],
  providers: [ConversationStore, UploadsStore],
  hostDirectives: [FileDrop],
  changeDetection: ChangeDetectionStrategy.OnPush,
  host: { '(document:visibilitychange)': 'store.markRead()' },
  templateUrl: './conversation.html',
  styles: `
    :host { display: flex; flex-direction: column; height: calc(100dvh - 64px); min-height: 0; position: relative; }
    .drop-zone { position: absolute; inset: 8px; z-index: 2; display: flex; flex-direction: column; align-items: center; justify-content: center; gap: 8px;
      border: 3px dashed var(--mat-sys-primary); border-radius: 16px; pointer-events: none; --icon-size: 48px;
      background: color-mix(in srgb, var(--mat-sys-primary-container) 88%, transparent); color: var(--mat-sys-on-primary-container); font: var(--mat-sys-title-medium); }
    .history { flex: 1; overflow-y: auto; overflow-anchor: none; padding: 8px 12px; min-height: 0; }
    .older { display: flex; justify-content: center; min-height: 36px; align-items: center; }
    .start { text-align: center; margin: 4px 0 12px; font: var(--mat-sys-label-medium); color: var(--mat-sys-on-surface-variant); }
    .empty, .error { text-align: center; color: var(--mat-sys-on-surface-variant); font: var(--mat-sys-body-medium); }
    .error { color: var(--mat-sys-error); }
    .messages { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 6px; }
  `,
})
export class Conversation {
  /** The route parameter `:id`. */
  readonly id = input.required<string>();
  protected readonly store = inject(ConversationStore);
  protected readonly uploads = inject(UploadsStore);
  protected readonly drop = inject(FileDrop);
  protected readonly realtime = inject(Realtime);
  private readonly injector = inject(Injector);
  private readonly dialog = inject(MatDialog);
  private readonly history = viewChild<ElementRef<HTMLElement>>('history');
  protected readonly composer = viewChild.required(Composer);
  private pickerOpener: HTMLElement | null = null;
  protected readonly preloadPx = PRELOAD_PX;
  /** Which timer the open picker sets; null while it is closed. */
  protected readonly pickerScope = signal<TimerScope | null>(null);
  /** Whether the view was at (or near) the bottom at the last scroll, so new messages keep it there. */
  private atBottom = true;
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
    // Unknown until loaded: files then wait encrypted rather than go out in the clear.
    this.uploads.setEncrypted(() => this.store.conversation()?.encrypted ?? true);
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

  protected send(text: string): void {
    this.atBottom = true;
    if (this.pickerScope() === 'message') this.pickerScope.set(null);
    void this.store.send(text, this.uploads.take());
  }
}
