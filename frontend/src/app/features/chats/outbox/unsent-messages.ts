import { computed, DestroyRef, inject } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import type { ConversationDto } from '../../../../sdk/models/conversation-dto';
import type { MessageDto } from '../../../../sdk/models/message-dto';
import { describeError } from '../../../core/api-errors';
import type { EncryptedAttachmentInfo, MessageContent } from '../../../core/crypto/message-content';
import { Realtime } from '../../../core/realtime';
import { type Upload, type UploadedAttachment, uploadedAttachments } from '../attachments/uploads-store';
import { MessageDecryptor } from '../message-decryptor';
import { TrustProblemError } from '../../../core/crypto/trust-decisions';
import { EncryptionUnavailable, MessageSealer, unreachable } from '../message-sealer';
import { isEmptyFailure } from '../shown-message';
import { HeldMessages } from './held-messages';
import { Outbox } from './outbox';
import { unsentId } from './unsent';

/** What the open conversation tells its unsent messages. */
export interface UnsentContext {
  /** The open conversation's id (set at once when another opens, before it is loaded). */
  conversationId(): string | null;
  conversation(): ConversationDto | null;
  /** Whether to encrypt (the conversation says so, or this device remembers it encrypted). */
  encryptedForSure(conversation: ConversationDto): Promise<boolean>;
  /** The server's copy of a message the outbox delivered. */
  received(message: MessageDto): void;
}

/**
 * The open conversation's messages on their way before the outbox has them: files uploading, content
 * being encrypted, or a failure of either, with its reason. They are kept per conversation in
 * HeldMessages (memory only), so opening another chat loses none. Once sealed, a message moves to the
 * outbox. Needs an injection context.
 */
export class UnsentMessages {
  private readonly sealer = inject(MessageSealer);
  private readonly outbox = inject(Outbox);
  private readonly decryptor = inject(MessageDecryptor);
  private readonly held = inject(HeldMessages);

  readonly entries = computed(() => this.held.inConversation(this.context.conversationId()));

  constructor(private readonly context: UnsentContext) {
    const destroyRef = inject(DestroyRef);
    this.outbox.delivered$.pipe(takeUntilDestroyed(destroyRef)).subscribe(({ message }) => this.context.received(message));
    // What could not be uploaded or encrypted for want of the network goes again once the socket is back.
    inject(Realtime)
      .ready$.pipe(takeUntilDestroyed(destroyRef))
      .subscribe(() => {
        for (const entry of this.entries()) if (entry.state === 'failed' && entry.retryable) void this.retry(entry.message.clientId);
      });
  }

  /** Shows the message at once, then uploads, seals and hands it to the outbox. */
  async send(message: MessageDto, uploads: readonly Upload[]): Promise<void> {
    // The conversation it was written in, whichever opens while its files upload.
    const conversation = this.context.conversation();
    this.held.add({ message, state: 'pending', ...(uploads.length ? { uploads } : {}) });
    await this.deliver(message, uploads, conversation);
  }

  /** Sends an unsent message again with the same `clientId`, so the server never makes two of it. */
  async retry(clientId: string): Promise<void> {
    if (this.outbox.entries().some((entry) => entry.clientId === clientId)) {
      await this.outbox.retry(clientId);
      return;
    }
    const entry = this.held.find(clientId);
    if (entry?.state !== 'failed') return;
    this.held.update(clientId, { state: 'pending', reason: undefined, retryable: undefined });
    await this.deliver(entry.message, entry.uploads ?? [], this.context.conversation());
  }

  /** Drops an unsent message for good (from the outbox too). */
  async discard(clientId: string): Promise<void> {
    this.held.drop(clientId);
    this.held.forgetSealed(clientId);
    await this.outbox.discard(clientId);
  }

  /** Drops a failed message once it has neither text nor files left (the user cancelled them). */
  discardIfEmpty(clientId: string): void {
    this.held.drop(clientId, isEmptyFailure);
  }

  private async deliver(message: MessageDto, uploads: readonly Upload[], conversation: ConversationDto | null): Promise<void> {
    try {
      const attachments = await uploadedAttachments(uploads);
      if (!message.body && attachments.length === 0) {
        // Every file of a message without text was cancelled: nothing is left to send.
        this.held.drop(message.clientId);
        return;
      }
      if (!conversation || conversation.id !== message.conversationId) throw new EncryptionUnavailable('The conversation is still loading. Try again in a moment.');
      // The timer the user saw when sending, explicitly: a default changed meanwhile does not apply.
      const base = {
        clientId: message.clientId,
        conversationId: message.conversationId,
        senderId: message.senderId,
        createdAt: message.createdAt,
        expiresInSeconds: message.expiresInSeconds,
        expiryMode: message.expiryMode,
        kind: message.kind,
        relatesTo: message.relatesTo,
        refusal: null,
      };
      if (await this.context.encryptedForSure(conversation)) {
        const { content, attachmentIds } = sealedParts(message, attachments);
        // The conversation checked above: if another one opened meanwhile, its members must not get this message's key.
        const ciphertext = await this.sealer.seal(conversation, content);
        this.held.rememberSealed(message.clientId, content);
        this.decryptor.remember({ ...message, id: unsentId(message.clientId), ciphertext }, content);
        await this.outbox.add({ ...base, body: null, ciphertext, attachmentIds });
      } else {
        await this.outbox.add({ ...base, body: message.body, ciphertext: null, attachmentIds: attachments.map((attachment) => attachment.id) });
      }
      // The outbox shows it from now on.
      this.held.drop(message.clientId);
    } catch (error) {
      // A verified contact's change waits for the sender's answer in the warning above the composer, then Retry sends.
      const waits = error instanceof EncryptionUnavailable || error instanceof TrustProblemError;
      const reason = waits ? error.message : describeError(error);
      this.held.update(message.clientId, { state: 'failed', reason, retryable: unreachable(error) || waits });
    }
  }
}

/**
 * The content of an encrypted message: its text, its files' keys (none may have gone up in the
 * clear) and the message it answers, or a reaction's emoji; and the ids of every blob it needs, thumbnails included, so none is swept as an unsent upload.
 */
function sealedParts(message: MessageDto, attachments: UploadedAttachment[]): { content: MessageContent; attachmentIds: string[] } {
  const infos = attachments.map((attachment) => attachment.info).filter((info): info is EncryptedAttachmentInfo => info !== undefined);
  if (infos.length !== attachments.length) throw new EncryptionUnavailable('These files were uploaded unencrypted: remove them and attach them again.');
  if (message.kind === 'reaction') return { content: { type: 'reaction', key: message.body ?? '', clientId: message.clientId }, attachmentIds: [] };
  const content: MessageContent = { type: 'text', clientId: message.clientId };
  if (message.body) content.body = message.body;
  if (infos.length > 0) content.attachments = infos;
  if (message.relatesTo) content.inReplyTo = message.relatesTo;
  return { content, attachmentIds: infos.flatMap((info) => (info.thumbnail ? [info.id, info.thumbnail.id] : [info.id])) };
}
