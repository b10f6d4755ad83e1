import { effect, inject, Injectable, signal, untracked } from '@angular/core';
import type { MessageDto } from '../../../sdk/models/message-dto';
import { AuthStore } from '../../core/auth-store';
import type { CryptoService, UndecryptableReason } from '../../core/crypto/crypto-service';
import { DeviceCrypto } from '../../core/crypto/device-crypto';
import { type MessageContent, messageContentFromPlain } from '../../core/crypto/message-content';

/** What a message says, ready to show: its content, or why it cannot be shown (yet). */
export type ShownContent =
  | { kind: 'ok'; content: MessageContent }
  | { kind: 'decrypting' }
  | { kind: 'undecryptable'; reason: UndecryptableReason | 'no-device'; message: string };

interface Entry {
  ciphertext: string;
  state: ShownContent;
}

/** Reasons that a later key (a late to-device message, a device list that came in) can clear. */
const RETRIED: ReadonlySet<string> = new Set(['no-key', 'unverified-sender', 'untrusted-device', 'failed', 'no-device']);

/** Messages kept (content or reason): more than a few screens' worth; the oldest asked for go first. */
const KEPT = 2000;

const NO_DEVICE: ShownContent & { kind: 'undecryptable' } = { kind: 'undecryptable', reason: 'no-device', message: 'This device can\u2019t read encrypted messages right now' };

/**
 * The decrypted content of the messages on screen (the open conversation, the chat list's last
 * messages), through the device's `CryptoService`, kept in memory only. Plaintext messages come back in
 * the same shape, so one renderer shows both. What could not be read is tried again when new keys
 * arrive (`keysUpdated`) or once the device's crypto has started.
 */
@Injectable({ providedIn: 'root' })
export class MessageDecryptor {
  private readonly device = inject(DeviceCrypto);
  private readonly entries = signal<ReadonlyMap<string, Entry>>(new Map());
  /** The messages asked for, by id, to decrypt again when keys arrive. */
  private readonly known = new Map<string, MessageDto>();
  private readonly running = new Set<string>();

  constructor() {
    effect(() => {
      const service = this.device.service();
      service?.keysUpdated();
      if (service) untracked(() => this.retry(service));
    });
    effect(() => {
      const failed = this.device.error();
      if (failed) untracked(() => this.markWaiting({ ...NO_DEVICE, message: failed.message }));
    });
    let userId: string | null | undefined;
    const auth = inject(AuthStore);
    effect(() => {
      const id = auth.user()?.id ?? null;
      if (userId !== undefined && id !== userId) {
        this.entries.set(new Map());
        this.known.clear();
      }
      userId = id;
    });
  }

  /** What the message says (a plaintext one at once; an encrypted one once `request` decrypted it). */
  contentOf(message: MessageDto): ShownContent {
    if (message.ciphertext == null) return { kind: 'ok', content: messageContentFromPlain(message) };
    // A new ciphertext (an edit) shows the previous content until it is read.
    return this.entries().get(message.id)?.state ?? { kind: 'decrypting' };
  }

  /** Decrypts what is not decrypted yet (or changed); cheap to call again with the same messages. */
  request(messages: readonly MessageDto[]): void {
    untracked(() => this.requestNow(messages));
  }

  private requestNow(messages: readonly MessageDto[]): void {
    for (const message of messages) {
      if (message.ciphertext == null || message.deleted) continue;
      const ciphertext = JSON.stringify(message.ciphertext);
      // Most recently asked for last, so `trim` lets the oldest go.
      this.known.delete(message.id);
      this.known.set(message.id, message);
      const entry = this.entries().get(message.id);
      if (entry?.ciphertext === ciphertext && entry.state.kind !== 'decrypting') continue;
      if (!entry) this.set(message.id, { ciphertext, state: { kind: 'decrypting' } });
      void this.decrypt(message, ciphertext);
    }
    this.trim();
  }

  /** Content this device wrote itself (a send or an edit), so it shows without a round through the machine. */
  remember(message: MessageDto, content: MessageContent): void {
    if (message.ciphertext == null) return;
    this.known.set(message.id, message);
    this.set(message.id, { ciphertext: JSON.stringify(message.ciphertext), state: { kind: 'ok', content } });
  }

  /** Drops a message's decrypted content (it expired or was deleted). */
  forget(messageIds: readonly string[]): void {
    if (messageIds.length === 0) return;
    const service = this.device.service();
    const entries = new Map(this.entries());
    for (const id of messageIds) {
      entries.delete(id);
      this.known.delete(id);
      service?.forget(id);
    }
    this.entries.set(entries);
  }

  private async decrypt(message: MessageDto, ciphertext: string): Promise<void> {
    const service = this.device.service();
    // Not started yet: `retry` runs once it is; failed to start: it says so.
    if (!service) {
      const failed = this.device.error();
      if (failed) this.set(message.id, { ciphertext, state: { ...NO_DEVICE, message: failed.message } });
      return;
    }
    const key = `${message.id}|${ciphertext}`;
    if (this.running.has(key)) return;
    this.running.add(key);
    let again = false;
    try {
      // Keys that arrive while this runs bump `keysUpdated`, and their retry finds this one running.
      const generation = untracked(() => service.keysUpdated());
      const result = await service.decrypt({ ...message, ciphertext: message.ciphertext });
      if (!this.known.has(message.id)) return;
      if (result.kind === 'undecryptable' && RETRIED.has(result.reason) && untracked(() => service.keysUpdated()) !== generation) {
        again = true;
        return;
      }
      const state: ShownContent = result.kind === 'ok' ? { kind: 'ok', content: result.content } : { kind: 'undecryptable', reason: result.reason, message: result.message };
      const current = this.entries().get(message.id);
      // Keep what a newer ciphertext already showed; a failure never hides content read before.
      if (current && current.ciphertext !== ciphertext && current.state.kind === 'ok' && state.kind !== 'ok') return;
      this.set(message.id, { ciphertext, state });
    } finally {
      this.running.delete(key);
      if (again && this.device.service() === service) void this.decrypt(message, ciphertext);
    }
  }

  private retry(service: CryptoService): void {
    for (const [id, message] of this.known) {
      const entry = this.entries().get(id);
      const ciphertext = JSON.stringify(message.ciphertext);
      if (entry && entry.ciphertext === ciphertext && entry.state.kind === 'ok') continue;
      if (entry?.state.kind === 'undecryptable' && !RETRIED.has(entry.state.reason)) continue;
      if (this.device.service() === service) void this.decrypt(message, ciphertext);
    }
  }

  private markWaiting(state: ShownContent): void {
    for (const [id, message] of this.known) {
      const entry = this.entries().get(id);
      if (!entry || entry.state.kind === 'decrypting') this.set(id, { ciphertext: JSON.stringify(message.ciphertext), state });
    }
  }

  private trim(): void {
    if (this.known.size <= KEPT) return;
    const entries = new Map(this.entries());
    for (const id of [...this.known.keys()].slice(0, this.known.size - KEPT)) {
      this.known.delete(id);
      entries.delete(id);
    }
    this.entries.set(entries);
  }

  private set(id: string, entry: Entry): void {
    this.entries.update((entries) => new Map(entries).set(id, entry));
  }
}
