import { ChangeDetectionStrategy, Component, computed, type ElementRef, input, output, signal, viewChild } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import type { ConversationDto } from '../../../sdk/models';
import { MAX_BODY_LENGTH } from '../../core/crypto/message-content';
import { Icon } from '../../shared/icon';
import { AttachButton } from './attachments/attach-button';
import { UploadTray } from './attachments/upload-tray';
import { describeTimer, type TimerSetting } from './expiry';
import { VoiceRecorder } from './voice-recorder';

/** Send `typing` at most this often while the user types. */
const TYPING_INTERVAL_MS = 2_500;
/** The counter shows from this share of the limit on. */
const COUNTER_FROM = 0.9;

/** A message being edited, with its new text. */
export interface MessageEdit {
  id: string;
  body: string;
}

/** Where a message is written (or an own message edited), with its files and the timer for it. */
@Component({
  selector: 'form[app-composer]',
  imports: [AttachButton, Icon, MatButtonModule, UploadTray, VoiceRecorder],
  changeDetection: ChangeDetectionStrategy.OnPush,
  host: { class: 'composer', '(submit)': '$event.preventDefault(); submit()' },
  templateUrl: './composer.html',
  styles: `
    :host { border-top: 1px solid var(--mat-sys-outline-variant); padding: 8px; display: flex; flex-direction: column; gap: 4px; }
    .gone { margin: 0; font: var(--mat-sys-body-medium); color: var(--mat-sys-on-surface-variant); }
    .next-timer { display: flex; align-items: center; gap: 6px; --icon-size: 16px; font: var(--mat-sys-label-medium); color: var(--mat-sys-primary); }
    .editing { font: var(--mat-sys-label-medium); color: var(--mat-sys-on-surface-variant); }
    .counter { margin: 0; align-self: flex-end; font: var(--mat-sys-label-medium); color: var(--mat-sys-on-surface-variant); }
    .counter.over { color: var(--mat-sys-error); }
    .compose-row { position: relative; display: flex; gap: 8px; align-items: flex-end; }
    .timer-button { flex: none; color: var(--mat-sys-on-surface-variant); }
    .timer-button.on { color: var(--mat-sys-primary); }
    .input { flex: 1; min-width: 0; resize: none; max-height: 160px; field-sizing: content; padding: 10px 12px; border-radius: 20px;
      border: 1px solid var(--mat-sys-outline); background: var(--mat-sys-surface); color: var(--mat-sys-on-surface); font: var(--mat-sys-body-large); }
  `,
})
export class Composer {
  /** Why nothing can be written here (ConversationDto.readOnly): writing is off, with the reason. */
  readonly readOnly = input<ConversationDto['readOnly']>(null);
  /** The peer's name, for the reason. */
  readonly peerName = input('');
  protected readonly closed = computed(() => this.readOnly() !== null);
  /** Files wait in the tray, so a message without text can be sent. */
  readonly hasFiles = input(false);
  /** A timer chosen for the next message only, or null. */
  readonly nextTimer = input<TimerSetting | null>(null);
  /** What the next message will be sent with. */
  readonly timerForNext = input.required<TimerSetting>();
  /** The timer picker is open on the next message. */
  readonly pickerOpen = input(false);
  readonly typing = output();
  readonly send = output<string>();
  readonly save = output<MessageEdit>();
  readonly timerToggle = output();
  readonly nextTimerReset = output();

  protected readonly draft = signal('');
  protected readonly editingId = signal<string | null>(null);
  protected readonly describeTimer = describeTimer;
  /** Characters the server counts (the text is trimmed before it goes). */
  protected readonly length = computed(() => this.draft().trim().length);
  protected readonly overLimit = computed(() => this.length() > MAX_BODY_LENGTH);
  protected readonly showCounter = computed(() => this.length() >= MAX_BODY_LENGTH * COUNTER_FROM);
  protected readonly counterText = computed(() => {
    const left = MAX_BODY_LENGTH - this.length();
    if (left >= 0) return `${left.toLocaleString('en')} ${left === 1 ? 'character' : 'characters'} left`;
    return `${(-left).toLocaleString('en')} ${left === -1 ? 'character' : 'characters'} too many: a message holds at most ${MAX_BODY_LENGTH.toLocaleString('en')}`;
  });
  private readonly textarea = viewChild<ElementRef<HTMLTextAreaElement>>('textarea');
  private readonly voice = viewChild(VoiceRecorder);
  private lastTypingAt = 0;

  focus(): void {
    this.textarea()?.nativeElement.focus();
  }

  startEdit(id: string, body: string): void {
    this.editingId.set(id);
    this.setDraft(body);
    this.focus();
  }

  /**
   * Another conversation opens in this composer (two panes keep it): an edit in progress ends, a
   * recording is dropped, and the draft is swapped for that conversation's. Returns the draft it held.
   */
  swapDraft(next: string): string {
    const previous = this.editingId() ? '' : this.draft();
    this.editingId.set(null);
    this.setDraft(next);
    this.lastTypingAt = 0;
    this.voice()?.reset();
    return previous;
  }

  /** Puts the text of an unsent message back, to change it and send it again. */
  startDraft(body: string): void {
    this.editingId.set(null);
    this.setDraft(body);
    this.focus();
  }

  protected cancelEdit(): void {
    if (!this.editingId()) return;
    this.editingId.set(null);
    this.setDraft('');
  }

  protected onInput(value: string): void {
    this.draft.set(value);
    const now = Date.now();
    if (value.trim() && !this.editingId() && now - this.lastTypingAt >= TYPING_INTERVAL_MS) {
      this.lastTypingAt = now;
      this.typing.emit();
    }
  }

  /** Enter sends; Shift+Enter adds a line (the textarea's own behaviour). */
  protected onEnter(event: KeyboardEvent): void {
    if (event.shiftKey || event.isComposing) return;
    event.preventDefault();
    this.submit();
  }

  protected submit(): void {
    const text = this.draft();
    if (this.closed() || this.overLimit()) return;
    const editing = this.editingId();
    if (!text.trim() && (editing || !this.hasFiles())) return;
    this.setDraft('');
    this.editingId.set(null);
    this.lastTypingAt = 0;
    if (editing) this.save.emit({ id: editing, body: text });
    else this.send.emit(text);
  }

  /** The textarea too: `[value]` alone skips the write when the draft changed twice between renders. */
  private setDraft(value: string): void {
    this.draft.set(value);
    const textarea = this.textarea()?.nativeElement;
    if (textarea) textarea.value = value;
  }
}
