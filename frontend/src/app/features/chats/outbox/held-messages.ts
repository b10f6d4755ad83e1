import { effect, inject, Injectable, signal, untracked } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { AuthStore } from '../../../core/auth-store';
import type { MessageContent } from '../../../core/crypto/message-content';
import { MessageDecryptor } from '../message-decryptor';
import type { ShownMessage } from '../shown-message';
import { Outbox } from './outbox';
import { unsentId } from './unsent';

/**
 * Messages on their way before the outbox has them (files uploading, content being encrypted, or held
 * with a reason: a verified contact's changed identity, the network), per conversation, for the whole
 * signed-in app: switching to another chat (two panes) or leaving the chats loses none of them. Memory
 * only: the plaintext of an encrypted conversation is never written down. Signing out drops them.
 */
@Injectable({ providedIn: 'root' })
export class HeldMessages {
  private readonly decryptor = inject(MessageDecryptor);
  private readonly held = signal<readonly ShownMessage[]>([]);
  /** What this page sealed, by clientId, so the server's copy shows without decrypting it again. */
  private readonly sealed = new Map<string, MessageContent>();

  readonly all = this.held.asReadonly();

  constructor() {
    const auth = inject(AuthStore);
    let userId: string | null = null;
    effect(() => {
      const id = auth.user()?.id ?? null;
      untracked(() => {
        if (userId !== null && id !== userId) this.forgetAll();
        userId = id;
      });
    });
    inject(Outbox)
      .delivered$.pipe(takeUntilDestroyed())
      .subscribe(({ entry, message }) => {
        const content = this.sealed.get(entry.clientId);
        this.sealed.delete(entry.clientId);
        // The text lives on under the server's id only, so expiry and deletion (which know that id) drop it.
        this.decryptor.forget([unsentId(entry.clientId)]);
        if (content) this.decryptor.remember(message, content);
      });
  }

  /** Those of one conversation, in the order written. */
  inConversation(conversationId: string | null): ShownMessage[] {
    return this.held().filter((entry) => entry.message.conversationId === conversationId);
  }

  find(clientId: string): ShownMessage | undefined {
    return this.held().find((entry) => entry.message.clientId === clientId);
  }

  add(entry: ShownMessage): void {
    this.held.update((entries) => [...entries, entry]);
  }

  update(clientId: string, change: Partial<ShownMessage>): void {
    this.held.update((entries) => entries.map((entry) => (entry.message.clientId === clientId ? { ...entry, ...change } : entry)));
  }

  /** Drops those `drop` picks (all of this clientId by default). */
  drop(clientId: string, drop: (entry: ShownMessage) => boolean = () => true): void {
    this.held.update((entries) => entries.filter((entry) => entry.message.clientId !== clientId || !drop(entry)));
  }

  /** Sealed for the outbox: its content, to show the server's copy without decrypting it again. */
  rememberSealed(clientId: string, content: MessageContent): void {
    this.sealed.set(clientId, content);
  }

  forgetSealed(clientId: string): void {
    this.sealed.delete(clientId);
    this.decryptor.forget([unsentId(clientId)]);
  }

  private forgetAll(): void {
    this.held.set([]);
    this.decryptor.forget([...this.sealed.keys()].map(unsentId));
    this.sealed.clear();
  }
}
