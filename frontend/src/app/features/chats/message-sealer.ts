import { HttpErrorResponse } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';
import type { ConversationDto } from '../../../sdk/models/conversation-dto';
import type { EncryptedContentDto } from '../../../sdk/models/encrypted-content-dto';
import { AuthStore } from '../../core/auth-store';
import { DeviceCrypto } from '../../core/crypto/device-crypto';
import { isEncryptedAttachment, type MessageContent } from '../../core/crypto/message-content';
import type { ShownContent } from './message-decryptor';

/** This device cannot encrypt right now (its crypto is starting or failed, or it is offline without a key), said in words. */
export class EncryptionUnavailable extends Error {
  override readonly name = 'EncryptionUnavailable';
}

const OFFLINE = 'You are offline and this conversation\u2019s key has not reached every device yet: the message is sent once you are back online.';

/** Whether the request never reached the server (offline, server down). */
export const unreachable = (error: unknown) => error instanceof HttpErrorResponse && error.status === 0;

/**
 * Decides whether a conversation's messages go encrypted, and encrypts them: the content (text, file
 * keys, reply, reaction) exists only inside the ciphertext.
 */
@Injectable({ providedIn: 'root' })
export class MessageSealer {
  private readonly auth = inject(AuthStore);
  private readonly device = inject(DeviceCrypto);

  /**
   * Whether to encrypt: the conversation says so, or this device's crypto store remembers sending
   * encrypted in it (a server that turns encryption back off, even across a reload, gets no plaintext).
   */
  async encryptedForSure(conversation: ConversationDto): Promise<boolean> {
    if (conversation.encrypted) return true;
    return (await this.device.service()?.knowsEncrypted(conversation.id)) ?? false;
  }

  /**
   * The ciphertext of `content`. Offline, a conversation whose key every known device already has is
   * still encrypted (so the outbox can keep it as ciphertext); otherwise it throws `EncryptionUnavailable`.
   */
  async seal(conversation: ConversationDto, content: MessageContent): Promise<EncryptedContentDto> {
    const crypto = await this.device.ready();
    const me = this.auth.user()?.id;
    if (!crypto || !me) throw new EncryptionUnavailable(this.device.error()?.message ?? 'Encryption is still starting on this device. Try again in a moment.');
    const members = conversation.peer ? [me, conversation.peer.id] : [me];
    const offline = typeof navigator !== 'undefined' && navigator.onLine === false;
    try {
      if (!offline) return (await crypto.encrypt(conversation.id, members, content)) as unknown as EncryptedContentDto;
    } catch (error) {
      if (!unreachable(error)) throw error;
    }
    try {
      return (await crypto.encryptOffline(conversation.id, members, content)) as unknown as EncryptedContentDto;
    } catch {
      throw new EncryptionUnavailable(OFFLINE);
    }
  }

  /**
   * An edit replaces the whole content: the encrypted files and the reply stay, the text is new. A
   * message from before encryption keeps its files in the clear, outside the ciphertext.
   */
  async sealEdit(
    conversation: ConversationDto,
    message: { clientId: string },
    shown: ShownContent | null,
    body: string,
  ): Promise<{ content: MessageContent; ciphertext: EncryptedContentDto }> {
    const content: MessageContent = { type: 'text', body, clientId: message.clientId };
    if (shown?.kind === 'ok') {
      const files = (shown.content.attachments ?? []).filter(isEncryptedAttachment);
      if (files.length > 0) content.attachments = files;
      if (shown.content.inReplyTo) content.inReplyTo = shown.content.inReplyTo;
    }
    return { content, ciphertext: await this.seal(conversation, content) };
  }
}
