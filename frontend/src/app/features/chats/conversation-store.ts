import { computed, DestroyRef, inject, Injectable, signal } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { Api } from '../../../sdk/api';
import { conversationsGet } from '../../../sdk/fn/conversations/conversations-get';
import { messagesDelete } from '../../../sdk/fn/messages/messages-delete';
import { messagesEdit } from '../../../sdk/fn/messages/messages-edit';
import { messagesMarkRead } from '../../../sdk/fn/messages/messages-mark-read';
import type { MessageDto } from '../../../sdk/models/message-dto';
import { describeError } from '../../core/api-errors';
import { AuthStore } from '../../core/auth-store';
import { MAX_BODY_LENGTH } from '../../core/crypto/message-content';
import { Realtime } from '../../core/realtime';
import { Toasts } from '../../shared/toasts';
import type { Upload } from './attachments/uploads-store';
import { nextExpiryIn, type TimerSetting } from './expiry';
import { ConversationSettings } from './conversation-settings';
import { ExpiryClock } from './expiry-clock';
import { MessageDecryptor } from './message-decryptor';
import { EncryptionUnavailable, MessageSealer } from './message-sealer';
import { Outbox } from './outbox/outbox';
import { withUnsent } from './outbox/unsent';
import { UnsentMessages } from './outbox/unsent-messages';
import { PeerTyping } from './peer-typing';
import { mergeMessages, newestSentSeq, optimisticMessage, seenMessageId, sentExpiries, type ShownMessage, startReadClocks, withoutExpired, withoutReactionsTo } from './shown-message';
import { followPeerChanges } from './peer-changes';
import { HistoryNotices, type LoadedRange, oldestSeq, shownNotices } from './history-notices';
import { HistoryPages } from './history-pages';

/** One open conversation: its history, sending, editing, read receipts and the peer's typing (its settings: `ConversationSettings`, its paging: `HistoryPages`). */
@Injectable()
export class ConversationStore {
  private readonly api = inject(Api);
  private readonly auth = inject(AuthStore);
  private readonly realtime = inject(Realtime);
  private readonly toasts = inject(Toasts);
  private readonly sealer = inject(MessageSealer);
  private readonly outbox = inject(Outbox);
  private readonly decryptor = inject(MessageDecryptor);

  private readonly id = signal<string | null>(null);
  private readonly entries = signal<ShownMessage[]>([]);
  private readonly state = signal<'idle' | 'loading' | 'loaded' | 'error'>('idle');
  private readonly errorMessage = signal<string | null>(null);
  private readonly peerReadSeqValue = signal(0);
  private readonly typing = new PeerTyping();
  private lastMarkedSeq = 0;
  private readonly settings = new ConversationSettings({
    api: this.api,
    toasts: this.toasts,
    sealer: this.sealer,
    conversationId: () => this.id(),
    myId: () => this.myId(),
    entries: () => this.entries(),
    changed: () => void this.refreshNotices(),
  });
  private readonly pages = new HistoryPages({ api: this.api, toasts: this.toasts, conversationId: () => this.id(), merge: (messages) => this.merge(messages) });
  private readonly historyNotices = new HistoryNotices({ api: this.api, conversationId: () => this.id() });
  private readonly unsent = new UnsentMessages({
    conversationId: () => this.id(),
    conversation: () => this.settings.conversation(),
    encryptedForSure: (conversation) => this.settings.encryptedForSure(conversation),
    received: (message) => this.receive(message),
  });
  private readonly expiryAlarm = inject(ExpiryClock).alarm(() => this.expire());
  private visible: () => boolean = () => typeof document === 'undefined' || document.visibilityState === 'visible';

  readonly conversation = this.settings.conversation;
  /** The history as shown: the server's copies, then what is still on its way (uploading, or in the outbox). */
  readonly messages = computed(() => {
    const id = this.id();
    return withUnsent(this.entries(), this.unsent.entries(), id ? this.outbox.entries().filter((entry) => entry.conversationId === id) : []);
  });
  readonly loading = computed(() => this.state() === 'loading');
  readonly loaded = computed(() => this.state() === 'loaded');
  readonly error = this.errorMessage.asReadonly();
  readonly hasOlder = this.pages.hasOlder;
  readonly loadingOlder = this.pages.loadingOlder;
  readonly olderFailed = this.pages.olderFailed;
  // The timers and the encryption, as `ConversationSettings` keeps them.
  readonly defaultTimer = this.settings.defaultTimer;
  readonly nextTimer = this.settings.nextTimer;
  readonly timerForNext = this.settings.timerForNext;
  readonly savingDefault = this.settings.savingDefault;
  readonly encrypted = this.settings.encrypted;
  readonly turningOnEncryption = this.settings.turningOnEncryption;
  readonly peerReadSeq = this.peerReadSeqValue.asReadonly();
  readonly peerTyping = this.typing.active;
  /** Where the loaded history starts, which decides the notices shown and loaded. */
  private readonly loadedRange = computed<LoadedRange>(() => ({ oldestSeq: oldestSeq(this.entries()), hasOlder: this.hasOlder() }));
  /** Changes of the timer and the encryption, as the server keeps them, for the history. */
  readonly notices = computed(() => shownNotices(this.historyNotices.all(), this.settings.conversation(), this.myId(), this.loadedRange()));
  readonly myId = computed(() => this.auth.user()?.id ?? null);

  /** Your newest sent message the peer has read, the one that carries "Seen". */
  readonly seenMessageId = computed(() => seenMessageId(this.entries(), this.myId(), this.peerReadSeqValue()));

  constructor() {
    const destroyRef = inject(DestroyRef);
    // Opened while the server was out of reach: load it now; else catch up on what came meanwhile.
    this.realtime.ready$.pipe(takeUntilDestroyed(destroyRef)).subscribe(() => {
      const id = this.id();
      void (this.state() === 'error' && id ? this.open(id) : this.catchUp());
    });
    this.realtime.on('message.created').pipe(takeUntilDestroyed(destroyRef)).subscribe((message) => this.receive(message));
    this.realtime.on('message.updated').pipe(takeUntilDestroyed(destroyRef)).subscribe((message) => this.receive(message));
    this.realtime.on('message.deleted').pipe(takeUntilDestroyed(destroyRef)).subscribe((message) => this.receive(message));
    this.realtime.on('message.expired').pipe(takeUntilDestroyed(destroyRef)).subscribe((event) => {
      if (event.conversationId !== this.id()) return;
      const gone = new Set(event.messageIds);
      this.entries.update((entries) => entries.filter((entry) => !gone.has(entry.message.id)));
      this.decryptor.forget(event.messageIds);
      this.expire();
    });
    this.realtime.on('conversation.read').pipe(takeUntilDestroyed(destroyRef)).subscribe((event) => {
      if (event.conversationId !== this.id()) return;
      const entries = this.entries();
      const started = startReadClocks(entries, event.userId, event.seq, event.readAt);
      if (started !== entries) {
        this.entries.set(started);
        this.expire();
      }
      if (event.userId !== this.myId()) this.peerReadSeqValue.update((seq) => Math.max(seq, event.seq));
    });
    this.realtime.on('conversation.updated').pipe(takeUntilDestroyed(destroyRef)).subscribe((event) => {
      this.settings.applyEvent(event);
      if (event.conversationId === this.id() && this.loaded()) void this.refreshNotices();
    });
    this.realtime.on('typing').pipe(takeUntilDestroyed(destroyRef)).subscribe((event) => {
      if (event.conversationId !== this.id() || event.userId === this.myId()) return;
      this.typing.showUntil(Date.parse(event.expiresAt));
    });
    followPeerChanges(this.realtime, this.api, destroyRef, () => [this.settings.conversation()].filter((c) => c !== null), (conversation) => {
      if (conversation.id === this.id()) this.settings.replace(conversation);
    });
    destroyRef.onDestroy(() => this.typing.stop());
  }

  /** For tests: whether the page counts as seen by the user. */
  setVisibility(visible: () => boolean): void {
    this.visible = visible;
  }

  async open(id: string): Promise<void> {
    this.id.set(id);
    this.entries.set([]);
    this.pages.reset();
    this.settings.reset();
    this.historyNotices.reset();
    this.peerReadSeqValue.set(0);
    this.typing.stop();
    this.lastMarkedSeq = 0;
    this.state.set('loading');
    this.errorMessage.set(null);
    try {
      const [conversation, page] = await Promise.all([this.api.invoke(conversationsGet, { id }), this.pages.newest(id)]);
      if (this.id() !== id) return;
      this.pages.start(page);
      this.settings.set(conversation);
      this.peerReadSeqValue.set(conversation.peerLastReadSeq ?? 0);
      this.state.set('loaded');
      void this.markRead();
      void this.refreshNotices();
    } catch (error) {
      this.errorMessage.set(describeError(error));
      this.state.set('error');
    }
  }

  async loadOlder(): Promise<void> {
    const id = this.id();
    if (!id || !this.loaded()) return;
    if (await this.pages.older(id)) void this.historyNotices.reach(id, this.loadedRange()).catch(() => undefined);
  }

  /** Sets (or, with null, clears) the timer for the next message only. */
  setNextTimer(setting: TimerSetting | null): void {
    this.settings.setNextTimer(setting);
  }

  /** Changes the conversation's default timer for both members. */
  setDefaultTimer(setting: TimerSetting): Promise<void> {
    return this.settings.setDefaultTimer(setting);
  }

  /** Turns end-to-end encryption on for both members, for good (the history stays as it was). */
  turnOnEncryption(): Promise<void> {
    return this.settings.turnOnEncryption();
  }

  /** After a reconnect: everything newer than the newest message we have, page by page, and the conversation. */
  async catchUp(): Promise<void> {
    const id = this.id();
    if (!id || this.state() !== 'loaded') return;
    try {
      if (!(await this.pages.newer(id, newestSentSeq(this.entries())))) return;
      void this.markRead();
      // The default timer and the peer's read marker may have changed meanwhile too.
      const conversation = await this.api.invoke(conversationsGet, { id });
      if (this.id() !== id) return;
      this.settings.set(conversation);
      this.peerReadSeqValue.update((seq) => Math.max(seq, conversation.peerLastReadSeq ?? 0));
      await this.refreshNotices();
    } catch {
      // The next reconnect tries again; live events keep flowing meanwhile.
    }
  }

  /** The newest notices, merged with those shown; a failure waits for the next change or reconnect. */
  private async refreshNotices(): Promise<void> {
    await this.historyNotices.refresh(this.loadedRange()).catch(() => undefined);
  }

  /**
   * Shows the message at once; once its files are uploaded (and it is encrypted where the conversation
   * is) the outbox keeps it and sends it, in order, however long the connection is away.
   */
  async send(text: string, uploads: readonly Upload[] = [], inReplyTo: string | null = null): Promise<void> {
    const id = this.id();
    const body = text.trim();
    const me = this.myId();
    if (!id || (!body && uploads.length === 0) || !me || body.length > MAX_BODY_LENGTH) return;
    const timer = this.settings.takeTimerForNext();
    const relation = inReplyTo ? { kind: 'message' as const, relatesTo: inReplyTo } : undefined;
    await this.unsent.send(optimisticMessage(id, me, body, timer, relation), uploads);
  }

  /**
   * Reacts to a message with an emoji: a message of kind `reaction` pointing at it, through the outbox
   * like any other (encrypted where the conversation is). It takes the conversation's default timer.
   */
  async react(messageId: string, key: string): Promise<void> {
    const id = this.id();
    const me = this.myId();
    if (!id || !me || !key) return;
    await this.unsent.send(optimisticMessage(id, me, key, this.defaultTimer(), { kind: 'reaction', relatesTo: messageId }), []);
  }

  /** Sends an unsent message again with the same `clientId`, so the server never makes two of it. */
  retry(clientId: string): Promise<void> {
    return this.unsent.retry(clientId);
  }

  /** Drops an unsent message for good (from the outbox too). */
  discard(clientId: string): Promise<void> {
    return this.unsent.discard(clientId);
  }

  /** Drops a message that was not sent once it has neither text nor files left (the user cancelled them). */
  discardIfEmpty(clientId: string): void {
    this.unsent.discardIfEmpty(clientId);
  }

  async edit(messageId: string, text: string): Promise<void> {
    const body = text.trim();
    const conversation = this.settings.conversation();
    if (!body || !conversation || body.length > MAX_BODY_LENGTH) return;
    try {
      if (!(await this.settings.encryptedForSure(conversation))) {
        this.receive(await this.api.invoke(messagesEdit, { id: messageId, body: { body } }));
        return;
      }
      const entry = this.entries().find((item) => item.message.id === messageId);
      if (!entry) return;
      const { content, ciphertext } = await this.sealer.sealEdit(conversation, entry.message, this.decryptor.contentOf(entry.message), body);
      const edited = await this.api.invoke(messagesEdit, { id: messageId, body: { ciphertext } });
      this.decryptor.remember(edited, content);
      this.receive(edited);
    } catch (error) {
      this.errorMessage.set(error instanceof EncryptionUnavailable ? error.message : describeError(error));
    }
  }

  async remove(messageId: string): Promise<void> {
    try {
      await this.api.invoke(messagesDelete, { id: messageId });
      const entry = this.entries().find((item) => item.message.id === messageId);
      if (entry) this.merge([{ ...entry.message, deleted: true, body: null, ciphertext: null, attachments: [] }]);
      this.entries.update((entries) => withoutReactionsTo(entries, messageId));
      this.decryptor.forget([messageId]);
    } catch (error) {
      this.errorMessage.set(describeError(error));
    }
  }

  /** Marks the newest message as read when the page is visible and it is newer than the marker. */
  async markRead(): Promise<void> {
    const id = this.id();
    if (!id || !this.visible()) return;
    const newest = [...this.entries()].reverse().find((entry) => entry.state === 'sent');
    if (!newest || newest.message.seq <= this.lastMarkedSeq) return;
    this.lastMarkedSeq = newest.message.seq;
    try {
      await this.api.invoke(messagesMarkRead, { id, body: { messageId: newest.message.id } });
    } catch {
      this.lastMarkedSeq = 0;
    }
  }

  /** A server copy (REST answer or event): replaces the optimistic or older copy, or is added in order. */
  private receive(message: MessageDto): void {
    if (message.conversationId !== this.id()) return;
    if (message.senderId !== this.myId() && !message.deleted) this.typing.stop();
    const isNew = !this.entries().some((entry) => entry.message.id === message.id);
    if (message.deleted) this.decryptor.forget([message.id]);
    this.merge([message]);
    if (message.deleted) this.entries.update((entries) => withoutReactionsTo(entries, message.id));
    if (isNew && message.senderId !== this.myId()) void this.markRead();
  }

  private merge(messages: MessageDto[]): void {
    this.entries.update((entries) => mergeMessages(entries, messages));
    this.expire();
  }

  /** Drops the messages whose time is up (and what was decrypted of them), and sets the alarm for the next one to go. */
  private expire(): void {
    const now = Date.now();
    const before = this.entries();
    const after = withoutExpired(before, now);
    if (after !== before) {
      const kept = new Set(after.map((entry) => entry.message.id));
      this.decryptor.forget(before.filter((entry) => !kept.has(entry.message.id)).map((entry) => entry.message.id));
      this.entries.set(after);
    }
    this.expiryAlarm.set(nextExpiryIn(sentExpiries(this.entries()), now));
  }
}

