import { computed, signal, type WritableSignal } from '@angular/core';
import type { Api } from '../../../sdk/api';
import { conversationsUpdate } from '../../../sdk/fn/conversations/conversations-update';
import type { ConversationDto } from '../../../sdk/models/conversation-dto';
import type { UpdateConversationDto } from '../../../sdk/models/update-conversation-dto';
import type { RealtimeEvents } from '../../core/realtime';
import type { Toasts } from '../../shared/toasts';
import { applyConversationUpdate } from './conversation-update';
import type { TimerSetting } from './expiry';
import type { MessageSealer } from './message-sealer';
import type { ShownMessage } from './shown-message';

const NO_TIMER: TimerSetting = { seconds: null, mode: 'afterSend' };

export interface ConversationSettingsDeps {
  api: Api;
  toasts: Toasts;
  sealer: MessageSealer;
  conversationId: () => string | null;
  myId: () => string | null;
  /** The history as loaded (a ciphertext in it means encrypted). */
  entries: () => ShownMessage[];
  /** A change of this member's went through (the history's notices have news). */
  changed: () => void;
}

/**
 * The open conversation's own record and its settings: the timers (the default and the next message's),
 * and the encryption that never goes back off (the notices their changes leave are `HistoryNotices`).
 */
export class ConversationSettings {
  private readonly value = signal<ConversationDto | null>(null);
  private readonly nextTimerValue = signal<TimerSetting | null>(null);
  private readonly savingDefaultValue = signal(false);
  private readonly encryptingValue = signal(false);

  readonly conversation = this.value.asReadonly();
  /** The conversation's default timer, for messages that do not choose their own. */
  readonly defaultTimer = computed<TimerSetting>(() => {
    const conversation = this.value();
    return conversation ? { seconds: conversation.defaultExpiresInSeconds, mode: conversation.defaultExpiryMode } : NO_TIMER;
  });
  /** A timer chosen for the next message only; null to use the default. */
  readonly nextTimer = this.nextTimerValue.asReadonly();
  /** What the next message will be sent with. */
  readonly timerForNext = computed(() => this.nextTimerValue() ?? this.defaultTimer());
  readonly savingDefault = this.savingDefaultValue.asReadonly();
  /** End-to-end encrypted: messages go as ciphertext, files as encrypted blobs. */
  readonly encrypted = computed(() => this.value()?.encrypted ?? false);
  /** Turning encryption on is on its way. */
  readonly turningOnEncryption = this.encryptingValue.asReadonly();

  constructor(private readonly deps: ConversationSettingsDeps) {}

  /** Another conversation opens: no next-message timer. */
  reset(): void {
    this.nextTimerValue.set(null);
  }

  /** Sets (or, with null, clears) the timer for the next message only. */
  setNextTimer(setting: TimerSetting | null): void {
    this.nextTimerValue.set(setting);
  }

  /** The timer for the message being sent now; the next one goes back to the default. */
  takeTimerForNext(): TimerSetting {
    const timer = this.timerForNext();
    this.nextTimerValue.set(null);
    return timer;
  }

  /** Changes the conversation's default timer for both members. */
  async setDefaultTimer(setting: TimerSetting): Promise<void> {
    await this.update({ defaultExpiresInSeconds: setting.seconds, defaultExpiryMode: setting.mode }, this.savingDefaultValue);
  }

  /** Turns end-to-end encryption on for both members, for good (the history stays as it was). */
  async turnOnEncryption(): Promise<void> {
    if (!this.encrypted()) await this.update({ encrypted: true }, this.encryptingValue);
  }

  /** A `conversation.updated` event: the new settings, and a toast for the peer's change. */
  applyEvent(event: RealtimeEvents['conversation.updated']): void {
    const conversation = this.value();
    if (event.conversationId !== this.deps.conversationId() || !conversation) return;
    const { next, notices } = applyConversationUpdate(conversation, event, this.deps.myId());
    this.value.set(next);
    for (const notice of notices) this.deps.toasts.info(notice);
  }

  /** The server's copy as it is (the peer's profile or relation changed). */
  replace(conversation: ConversationDto): void {
    this.value.set(conversation);
  }

  /**
   * Takes the server's copy of the conversation, except that encryption never goes back off: once this
   * page saw it on, or a message in it is ciphertext, an answer saying otherwise is not believed.
   */
  set(next: ConversationDto): void {
    const current = this.value();
    const seen = (current?.id === next.id && current.encrypted) || this.deps.entries().some((entry) => entry.message.ciphertext);
    this.value.set(seen && !next.encrypted ? { ...next, encrypted: true } : next);
  }

  /** Whether to encrypt; what this device's store remembers counts too, and the page then shows it. */
  async encryptedForSure(conversation: ConversationDto): Promise<boolean> {
    const encrypted = await this.deps.sealer.encryptedForSure(conversation);
    if (encrypted && !conversation.encrypted && this.value()?.id === conversation.id) this.set({ ...conversation, encrypted: true });
    return encrypted;
  }

  private async update(body: UpdateConversationDto, busy: WritableSignal<boolean>): Promise<void> {
    const id = this.deps.conversationId();
    if (!id || busy()) return;
    busy.set(true);
    try {
      const conversation = await this.deps.api.invoke(conversationsUpdate, { id, body });
      if (this.deps.conversationId() !== id) return;
      this.set(conversation);
      this.deps.changed();
    } catch (error) {
      this.deps.toasts.error(error);
    } finally {
      busy.set(false);
    }
  }
}
