import { computed, DestroyRef, inject, Injectable, signal } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { Api } from '../../../sdk/api';
import { conversationsGet } from '../../../sdk/fn/conversations/conversations-get';
import { conversationsUpdate } from '../../../sdk/fn/conversations/conversations-update';
import { messagesDelete } from '../../../sdk/fn/messages/messages-delete';
import { messagesEdit } from '../../../sdk/fn/messages/messages-edit';
import { messagesHistory } from '../../../sdk/fn/messages/messages-history';
import { messagesMarkRead } from '../../../sdk/fn/messages/messages-mark-read';
import { messagesSend } from '../../../sdk/fn/messages/messages-send';
import type { ConversationDto } from '../../../sdk/models/conversation-dto';
import type { EncryptedContentDto } from '../../../sdk/models/encrypted-content-dto';
import type { MessageDto } from '../../../sdk/models/message-dto';
import { describeError } from '../../core/api-errors';
import { AuthStore } from '../../core/auth-store';
import type { CryptoService } from '../../core/crypto/crypto-service';
import { DeviceCrypto } from '../../core/crypto/device-crypto';
import { type EncryptedAttachmentInfo, isEncryptedAttachment, type MessageContent } from '../../core/crypto/message-content';
import { Realtime } from '../../core/realtime';
import { Toasts } from '../../shared/toasts';
import { type Upload, type UploadedAttachment, uploadedAttachments } from './attachments/uploads-store';
import { nextExpiryIn, timerChangeNotice, type TimerSetting } from './expiry';
import { ExpiryClock } from './expiry-clock';
import { MessageDecryptor } from './message-decryptor';
import { PeerTyping } from './peer-typing';
import { isEmptyFailure, mergeMessages, newestSentSeq, optimisticMessage, sentExpiries, type ShownMessage, startReadClocks, withoutExpired } from './shown-message';

const PAGE_SIZE = 50;
const NO_TIMER: TimerSetting = { seconds: null, mode: 'afterSend' };

/** This device cannot encrypt right now (its crypto is starting or failed), said in words. */
class EncryptionUnavailable extends Error {
  override readonly name = 'EncryptionUnavailable';
}

/** One open conversation: its history, sending, editing, read receipts and the peer's typing. */
@Injectable()
export class ConversationStore {
  private readonly api = inject(Api);
  private readonly auth = inject(AuthStore);
  private readonly realtime = inject(Realtime);
  private readonly toasts = inject(Toasts);
  private readonly device = inject(DeviceCrypto);
  private readonly decryptor = inject(MessageDecryptor);

  private readonly id = signal<string | null>(null);
  private readonly entries = signal<ShownMessage[]>([]);
  private readonly olderCursor = signal<number | null>(null);
  private readonly state = signal<'idle' | 'loading' | 'loaded' | 'error'>('idle');
  private readonly errorMessage = signal<string | null>(null);
  private readonly peerReadSeqValue = signal(0);
  private readonly typing = new PeerTyping();
  private readonly conversationValue = signal<ConversationDto | null>(null);
  private readonly loadingOlderValue = signal(false);
  private readonly olderFailedValue = signal(false);
  private readonly nextTimerValue = signal<TimerSetting | null>(null);
  private readonly savingDefaultValue = signal(false);
  private readonly encryptingValue = signal(false);
  private lastMarkedSeq = 0;
  /** The ciphertext of each encrypted message not yet acknowledged, by clientId, for its retries (memory only). */
  private readonly sealed = new Map<string, EncryptedContentDto>();
  private readonly expiryAlarm = inject(ExpiryClock).alarm(() => this.expire());
  private visible: () => boolean = () => typeof document === 'undefined' || document.visibilityState === 'visible';

  readonly conversation = this.conversationValue.asReadonly();
  readonly messages = this.entries.asReadonly();
  readonly loading = computed(() => this.state() === 'loading');
  readonly loaded = computed(() => this.state() === 'loaded');
  readonly error = this.errorMessage.asReadonly();
  readonly hasOlder = computed(() => this.olderCursor() !== null);
  readonly loadingOlder = this.loadingOlderValue.asReadonly();
  /** The last attempt to load older messages failed (scrolling up again, or a button, retries). */
  readonly olderFailed = this.olderFailedValue.asReadonly();
  /** The conversation's default timer, for messages that do not choose their own. */
  readonly defaultTimer = computed<TimerSetting>(() => {
    const conversation = this.conversationValue();
    return conversation ? { seconds: conversation.defaultExpiresInSeconds, mode: conversation.defaultExpiryMode } : NO_TIMER;
  });
  /** A timer chosen for the next message only; null to use the default. */
  readonly nextTimer = this.nextTimerValue.asReadonly();
  /** What the next message will be sent with. */
  readonly timerForNext = computed(() => this.nextTimerValue() ?? this.defaultTimer());
  readonly savingDefault = this.savingDefaultValue.asReadonly();
  /** End-to-end encrypted: messages go as ciphertext, files as encrypted blobs. */
  readonly encrypted = computed(() => this.conversationValue()?.encrypted ?? false);
  /** Turning encryption on is on its way. */
  readonly turningOnEncryption = this.encryptingValue.asReadonly();
  readonly peerReadSeq = this.peerReadSeqValue.asReadonly();
  readonly peerTyping = this.typing.active;
  readonly myId = computed(() => this.auth.user()?.id ?? null);

  /** Your newest sent message the peer has read, the one that carries "Seen". */
  readonly seenMessageId = computed(() => {
    const me = this.myId();
    const readSeq = this.peerReadSeqValue();
    const mine = this.entries().filter((entry) => entry.state === 'sent' && entry.message.senderId === me && !entry.message.deleted);
    const last = mine[mine.length - 1];
    return last && last.message.seq <= readSeq ? last.message.id : null;
  });

  constructor() {
    const destroyRef = inject(DestroyRef);
    this.realtime.ready$.pipe(takeUntilDestroyed(destroyRef)).subscribe(() => void this.catchUp());
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
      const conversation = this.conversationValue();
      if (event.conversationId !== this.id() || !conversation) return;
      const { defaultExpiresInSeconds, defaultExpiryMode } = event;
      // Encryption never goes off again, whatever an event says.
      const encrypted = conversation.encrypted || event.encrypted === true;
      this.conversationValue.set({ ...conversation, defaultExpiresInSeconds, defaultExpiryMode, encrypted });
      if (event.userId !== this.myId()) {
        const who = conversation.peer?.displayName ?? 'Deleted user';
        if (encrypted && !conversation.encrypted) this.toasts.info(`${who} turned on end-to-end encryption.`);
        const timerChanged = defaultExpiresInSeconds !== conversation.defaultExpiresInSeconds || defaultExpiryMode !== conversation.defaultExpiryMode;
        if (timerChanged || encrypted === conversation.encrypted) {
          this.toasts.info(timerChangeNotice(who, { seconds: defaultExpiresInSeconds, mode: defaultExpiryMode }));
        }
      }
    });
    this.realtime.on('typing').pipe(takeUntilDestroyed(destroyRef)).subscribe((event) => {
      if (event.conversationId !== this.id() || event.userId === this.myId()) return;
      this.typing.showUntil(Date.parse(event.expiresAt));
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
    this.olderCursor.set(null);
    this.olderFailedValue.set(false);
    this.loadingOlderValue.set(false);
    this.nextTimerValue.set(null);
    this.peerReadSeqValue.set(0);
    this.typing.stop();
    this.lastMarkedSeq = 0;
    this.sealed.clear();
    this.state.set('loading');
    this.errorMessage.set(null);
    try {
      const [conversation, page] = await Promise.all([
        this.api.invoke(conversationsGet, { id }),
        this.api.invoke(messagesHistory, { id, limit: PAGE_SIZE }),
      ]);
      if (this.id() !== id) return;
      this.merge(page.items);
      this.setConversation(conversation);
      this.peerReadSeqValue.set(conversation.peerLastReadSeq ?? 0);
      this.olderCursor.set(page.nextCursor === null ? null : Number(page.nextCursor));
      this.state.set('loaded');
      void this.markRead();
    } catch (error) {
      this.errorMessage.set(describeError(error));
      this.state.set('error');
    }
  }

  async loadOlder(): Promise<void> {
    const id = this.id();
    const before = this.olderCursor();
    if (!id || before === null || !this.loaded() || this.loadingOlderValue()) return;
    this.loadingOlderValue.set(true);
    this.olderFailedValue.set(false);
    try {
      const page = await this.api.invoke(messagesHistory, { id, before, limit: PAGE_SIZE });
      if (this.id() !== id) return;
      this.merge(page.items);
      this.olderCursor.set(page.nextCursor === null ? null : Number(page.nextCursor));
    } catch (error) {
      if (this.id() !== id) return;
      this.olderFailedValue.set(true);
      this.toasts.error(error);
    } finally {
      if (this.id() === id) this.loadingOlderValue.set(false);
    }
  }

  /** Sets (or, with null, clears) the timer for the next message only. */
  setNextTimer(setting: TimerSetting | null): void {
    this.nextTimerValue.set(setting);
  }

  /** Changes the conversation's default timer for both members. */
  async setDefaultTimer(setting: TimerSetting): Promise<void> {
    const id = this.id();
    if (!id || this.savingDefaultValue()) return;
    this.savingDefaultValue.set(true);
    try {
      const conversation = await this.api.invoke(conversationsUpdate, {
        id,
        body: { defaultExpiresInSeconds: setting.seconds, defaultExpiryMode: setting.mode },
      });
      if (this.id() === id) this.setConversation(conversation);
    } catch (error) {
      this.toasts.error(error);
    } finally {
      this.savingDefaultValue.set(false);
    }
  }

  /** Turns end-to-end encryption on for both members, for good (the history stays as it was). */
  async turnOnEncryption(): Promise<void> {
    const id = this.id();
    if (!id || this.encrypted() || this.encryptingValue()) return;
    this.encryptingValue.set(true);
    try {
      const conversation = await this.api.invoke(conversationsUpdate, { id, body: { encrypted: true } });
      if (this.id() === id) this.setConversation(conversation);
    } catch (error) {
      this.toasts.error(error);
    } finally {
      this.encryptingValue.set(false);
    }
  }

  /** After a reconnect: everything newer than the newest message we have, page by page, and the conversation. */
  async catchUp(): Promise<void> {
    const id = this.id();
    if (!id || this.state() !== 'loaded') return;
    let after = newestSentSeq(this.entries());
    try {
      for (;;) {
        const page = await this.api.invoke(messagesHistory, { id, after, limit: PAGE_SIZE });
        if (this.id() !== id) return;
        this.merge(page.items);
        if (page.nextCursor === null) break;
        after = Number(page.nextCursor);
      }
      void this.markRead();
      // The default timer and the peer's read marker may have changed meanwhile too.
      const conversation = await this.api.invoke(conversationsGet, { id });
      if (this.id() !== id) return;
      this.setConversation(conversation);
      this.peerReadSeqValue.update((seq) => Math.max(seq, conversation.peerLastReadSeq ?? 0));
    } catch {
      // The next reconnect tries again; live events keep flowing meanwhile.
    }
  }

  /**
   * Shows the message at once, then sends it once its files are uploaded; a failure leaves it marked
   * for a retry.
   */
  async send(text: string, uploads: readonly Upload[] = []): Promise<void> {
    const id = this.id();
    const body = text.trim();
    const me = this.myId();
    if (!id || (!body && uploads.length === 0) || !me) return;
    const timer = this.timerForNext();
    this.nextTimerValue.set(null);
    const optimistic = optimisticMessage(id, me, body, timer);
    this.entries.update((entries) => [...entries, { message: optimistic, state: 'pending', ...(uploads.length ? { uploads } : {}) }]);
    await this.deliver(optimistic, uploads);
  }

  /** Sends a failed message again with the same `clientId`, so the server never makes two of it. */
  async retry(clientId: string): Promise<void> {
    const entry = this.entries().find((item) => item.message.clientId === clientId && item.state === 'failed');
    if (!entry) return;
    this.setState(clientId, 'pending');
    await this.deliver(entry.message, entry.uploads ?? []);
  }

  /** Drops a message that was not sent once it has neither text nor files left (the user cancelled them). */
  discardIfEmpty(clientId: string): void {
    this.entries.update((entries) => entries.filter((entry) => entry.message.clientId !== clientId || !isEmptyFailure(entry)));
  }

  async edit(messageId: string, text: string): Promise<void> {
    const body = text.trim();
    const conversation = this.conversationValue();
    if (!body || !conversation) return;
    try {
      if (!(await this.encryptedForSure(conversation))) {
        this.receive(await this.api.invoke(messagesEdit, { id: messageId, body: { body } }));
        return;
      }
      // The edit replaces the whole content: the encrypted files and the reply stay, the text is new. A
      // message from before encryption keeps its files in the clear, outside the ciphertext.
      const entry = this.entries().find((item) => item.message.id === messageId);
      const shown = entry ? this.decryptor.contentOf(entry.message) : null;
      const content: MessageContent = { type: 'text', body };
      if (shown?.kind === 'ok') {
        const files = (shown.content.attachments ?? []).filter(isEncryptedAttachment);
        if (files.length > 0) content.attachments = files;
        if (shown.content.inReplyTo) content.inReplyTo = shown.content.inReplyTo;
      }
      const ciphertext = await this.encryptFor(conversation, content);
      const edited = await this.api.invoke(messagesEdit, { id: messageId, body: { ciphertext } });
      this.decryptor.remember(edited, content);
      this.receive(edited);
    } catch (error) {
      this.errorMessage.set(describeError(error));
    }
  }

  async remove(messageId: string): Promise<void> {
    try {
      await this.api.invoke(messagesDelete, { id: messageId });
      const entry = this.entries().find((item) => item.message.id === messageId);
      if (entry) this.merge([{ ...entry.message, deleted: true, body: null, ciphertext: null, attachments: [] }]);
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

  private async deliver(message: MessageDto, uploads: readonly Upload[] = []): Promise<void> {
    try {
      const attachments = await uploadedAttachments(uploads);
      if (!message.body && attachments.length === 0) {
        // Every file of a message without text was cancelled: nothing is left to send.
        this.entries.update((entries) => entries.filter((entry) => entry.message.clientId !== message.clientId || entry.state === 'sent'));
        return;
      }
      // The timer the user saw when sending, explicitly: a default changed meanwhile does not apply.
      const timer = { expiresInSeconds: message.expiresInSeconds, ...(message.expiryMode ? { expiryMode: message.expiryMode } : {}) };
      const conversation = this.conversationValue();
      if (conversation && (await this.encryptedForSure(conversation))) {
        await this.deliverEncrypted(this.conversationValue() ?? conversation, message, attachments, timer);
        return;
      }
      const attachmentIds = attachments.map((attachment) => attachment.id);
      const sent = await this.api.invoke(messagesSend, {
        id: message.conversationId,
        body: { clientId: message.clientId, body: message.body, ...timer, ...(attachmentIds.length ? { attachmentIds } : {}) },
      });
      this.receive(sent);
    } catch (error) {
      if (error instanceof EncryptionUnavailable) this.toasts.info(error.message);
      this.setState(message.clientId, 'failed');
    }
  }

  /**
   * The text and the files' keys go inside the ciphertext, never in the clear; a retry encrypts again
   * under the same `clientId`.
   */
  private async deliverEncrypted(
    conversation: ConversationDto,
    message: MessageDto,
    attachments: UploadedAttachment[],
    timer: Pick<MessageDto, 'expiresInSeconds'> & { expiryMode?: 'afterSend' | 'afterRead' },
  ): Promise<void> {
    const infos = attachments.map((attachment) => attachment.info).filter((info): info is EncryptedAttachmentInfo => info !== undefined);
    // A file uploaded in the clear before encryption was turned on cannot go into an encrypted message.
    if (infos.length !== attachments.length) throw new EncryptionUnavailable('These files were uploaded unencrypted: remove them and attach them again.');
    const content: MessageContent = { type: 'text' };
    if (message.body) content.body = message.body;
    if (infos.length > 0) content.attachments = infos;
    // A retry sends the very ciphertext of the first attempt: if that one did land, the server answers
    // it as a replay of the same message rather than a conflicting second one.
    const ciphertext = this.sealed.get(message.clientId) ?? (await this.encryptFor(conversation, content));
    this.sealed.set(message.clientId, ciphertext);
    // Every blob the message needs, thumbnails included, so none is swept as an unsent upload.
    const attachmentIds = infos.flatMap((info) => (info.thumbnail ? [info.id, info.thumbnail.id] : [info.id]));
    const sent = await this.api.invoke(messagesSend, {
      id: conversation.id,
      body: { clientId: message.clientId, ciphertext, ...timer, ...(attachmentIds.length ? { attachmentIds } : {}) },
    });
    this.sealed.delete(message.clientId);
    this.decryptor.remember(sent, content);
    this.receive(sent);
  }

  /**
   * Takes the server's copy of the conversation, except that encryption never goes back off: once this
   * page saw it on, or a message in it is ciphertext, an answer saying otherwise is not believed.
   */
  private setConversation(next: ConversationDto): void {
    const current = this.conversationValue();
    const seen = (current?.id === next.id && current.encrypted) || this.entries().some((entry) => entry.message.ciphertext);
    this.conversationValue.set(seen && !next.encrypted ? { ...next, encrypted: true } : next);
  }

  /**
   * Whether to encrypt: the conversation says so, or this device's crypto store remembers sending
   * encrypted in it (a server that turns encryption back off, even across a reload, gets no plaintext).
   */
  private async encryptedForSure(conversation: ConversationDto): Promise<boolean> {
    if (conversation.encrypted) return true;
    const remembered = (await this.device.service()?.knowsEncrypted(conversation.id)) ?? false;
    if (remembered && this.conversationValue()?.id === conversation.id) this.setConversation({ ...conversation, encrypted: true });
    return remembered;
  }

  private async encryptFor(conversation: ConversationDto, content: MessageContent): Promise<EncryptedContentDto> {
    const crypto: CryptoService | null = await this.device.ready();
    const me = this.myId();
    if (!crypto || !me) throw new EncryptionUnavailable(this.device.error()?.message ?? 'Encryption is still starting on this device. Try again in a moment.');
    const members = conversation.peer ? [me, conversation.peer.id] : [me];
    return (await crypto.encrypt(conversation.id, members, content)) as unknown as EncryptedContentDto;
  }

  private setState(clientId: string, state: ShownMessage['state']): void {
    this.entries.update((entries) => entries.map((entry) => (entry.message.clientId === clientId && entry.state !== 'sent' ? { ...entry, state } : entry)));
  }

  /** A server copy (REST answer or event): replaces the optimistic or older copy, or is added in order. */
  private receive(message: MessageDto): void {
    if (message.conversationId !== this.id()) return;
    if (message.senderId !== this.myId() && !message.deleted) this.typing.stop();
    const isNew = !this.entries().some((entry) => entry.message.id === message.id);
    if (message.deleted) this.decryptor.forget([message.id]);
    this.merge([message]);
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
