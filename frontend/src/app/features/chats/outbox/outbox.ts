import { computed, DestroyRef, effect, inject, Injectable, InjectionToken, signal, untracked } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { Subject } from 'rxjs';
import { Api } from '../../../../sdk/api';
import { messagesSend } from '../../../../sdk/fn/messages/messages-send';
import type { MessageDto } from '../../../../sdk/models/message-dto';
import type { SendMessageDto } from '../../../../sdk/models/send-message-dto';
import type { SocketSendMessageDto } from '../../../../sdk/models/socket-send-message-dto';
import { AuthStore } from '../../../core/auth-store';
import { Realtime, SocketSendError } from '../../../core/realtime';
import { OutboxDb, type OutboxEntry, type Refusal } from './outbox-db';
import { OutboxTabs } from './outbox-tabs';
import { classifySendFailure, SendAckRefusal } from './refusal';

/** After an unreachable server, try again after these waits (and at once on reconnect or `online`). */
const BACKOFF_MS = [2_000, 5_000, 15_000, 30_000, 60_000];

/** Where the outbox keeps its entries: the browser's IndexedDB, or nothing (memory only) where there is none. */
export const OUTBOX_INDEXED_DB = new InjectionToken<IDBFactory | null>('The IndexedDB of the outbox', {
  providedIn: 'root',
  factory: () => (typeof indexedDB === 'undefined' ? null : indexedDB),
});

/** A message the outbox delivered: its entry and the server's copy. */
export interface Delivered {
  entry: OutboxEntry;
  message: MessageDto;
}

/**
 * Unsent messages of the signed-in user, kept in IndexedDB so a reload or a dropped connection loses
 * none. They go out one at a time in the order they were written, over the open socket (`message.send`)
 * when it is ready and the message fits under its limit, else over REST, each with its own `clientId` (the
 * server answers a repeat with the same message, so nothing arrives twice), and go out again by
 * themselves on reconnect, when the browser is back online and at start-up. A refusal keeps the
 * message with the server's reason until the user retries, edits or discards it. Tabs of the same user
 * share it: one sends at a time, and each reads it again after another changed it (OutboxTabs).
 */
@Injectable({ providedIn: 'root' })
export class Outbox {
  private readonly api = inject(Api);
  private readonly auth = inject(AuthStore);
  private readonly realtime = inject(Realtime);
  private readonly idb = inject(OUTBOX_INDEXED_DB);
  private readonly items = signal<readonly OutboxEntry[]>([]);
  private readonly waitingValue = signal<string | null>(null);
  private readonly deliveredSubject = new Subject<Delivered>();
  private db: Promise<OutboxDb | null> = Promise.resolve(null);
  private tabs: OutboxTabs | null = null;
  /** Entries whose write (or deletion) is on its way to IndexedDB: what this tab holds of them wins over a read. */
  private readonly writing = new Set<string>();
  private userId: string | null = null;
  private running = false;
  private again = false;
  private failures = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastQueuedAt = 0;

  /** Every unsent message, oldest first. */
  readonly entries = this.items.asReadonly();
  /** Why sending is paused (rate limit), or null. */
  readonly waiting = this.waitingValue.asReadonly();
  readonly delivered$ = this.deliveredSubject.asObservable();
  readonly pendingCount = computed(() => this.items().filter((entry) => !entry.refusal).length);

  constructor() {
    this.switchUser(untracked(() => this.auth.user()?.id ?? null));
    effect(() => {
      const id = this.auth.user()?.id ?? null;
      untracked(() => this.switchUser(id));
    });
    const destroyRef = inject(DestroyRef);
    destroyRef.onDestroy(() => {
      this.tabs?.close();
      void this.db.then((db) => db?.close());
    });
    this.realtime.ready$.pipe(takeUntilDestroyed(destroyRef)).subscribe(() => this.flush());
    if (typeof window !== 'undefined') {
      const online = () => this.flush();
      window.addEventListener('online', online);
      destroyRef.onDestroy(() => window.removeEventListener('online', online));
    }
    destroyRef.onDestroy(() => clearTimeout(this.timer));
  }

  /** Those of one conversation, oldest first. */
  inConversation(conversationId: string): OutboxEntry[] {
    return this.items().filter((entry) => entry.conversationId === conversationId);
  }

  /** Keeps the message (on disk first, so a reload right now keeps it) and sends it after those before it. */
  async add(entry: Omit<OutboxEntry, 'queuedAt'>): Promise<void> {
    // Strictly increasing, even for two messages within the same millisecond.
    this.lastQueuedAt = Math.max(Date.now(), this.lastQueuedAt + 1);
    const queued: OutboxEntry = { ...entry, queuedAt: this.lastQueuedAt };
    this.items.update((items) => [...items, queued]);
    await this.store(queued);
    if (!queued.refusal) this.flush();
  }

  /** Sends a refused message again (the block was lifted, the friendship is back). */
  async retry(clientId: string): Promise<void> {
    const entry = this.items().find((item) => item.clientId === clientId);
    if (!entry?.refusal) return;
    await this.replace({ ...entry, refusal: null });
    this.failures = 0;
    this.flush();
  }

  async discard(clientId: string): Promise<void> {
    this.items.update((items) => items.filter((item) => item.clientId !== clientId));
    await this.write(clientId, (db) => db.delete(clientId));
  }

  /** Sends what waits, in order; a call while it runs makes it look once more at the end. */
  flush(): void {
    // Under a rate limit only the timer set from Retry-After resumes.
    if (this.waitingValue() !== null) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.running) {
      this.again = true;
      return;
    }
    void this.run();
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      const tabs = this.tabs;
      await (tabs ? tabs.exclusive(() => this.sendAll()) : this.sendAll());
    } finally {
      this.running = false;
    }
  }

  private async sendAll(): Promise<void> {
    // Another tab may have sent or discarded some while this one waited for its turn.
    await this.reload();
    do {
      this.again = false;
      for (;;) {
        const next = this.items().find((entry) => !entry.refusal);
        if (!next || !this.auth.user()) break;
        if (await this.sendOne(next)) continue;
        // A reconnect while the failing attempt was on its way: try again now rather than after the wait.
        if (!this.again) return;
        this.again = false;
      }
    } while (this.again);
  }

  /** False when sending has to pause (server unreachable, rate limit): the timer or a reconnect resumes it. */
  private async sendOne(entry: OutboxEntry): Promise<boolean> {
    const owner = this.userId;
    try {
      const { message, echoed } = await this.post(entry);
      if (this.userId !== owner) return false;
      this.failures = 0;
      this.waitingValue.set(null);
      // The server's copy first, so the message never leaves the screen between the two.
      this.deliveredSubject.next({ entry, message });
      // What the socket would have received, for the chat list and everything else that follows it.
      if (echoed) this.realtime.echo('message.created', message);
      await this.discard(entry.clientId);
      return true;
    } catch (error) {
      if (this.userId !== owner) return false;
      const failure = classifySendFailure(error);
      if (failure.kind === 'delivered') {
        // The server holds a message with this clientId already (sent by an attempt whose answer was lost,
        // since deleted or expired): it arrived once, which is all a resend is for. History shows the server's copy.
        await this.discard(entry.clientId);
        return true;
      }
      if (failure.kind === 'refused') {
        await this.refuse(entry, failure.refusal);
        return true;
      }
      if (failure.kind === 'wait') {
        // The server said how long: nothing, not even a reconnect, sends before then.
        this.again = false;
        this.waitingValue.set(failure.reason);
        this.schedule(failure.seconds * 1000);
      } else {
        this.schedule(BACKOFF_MS[Math.min(this.failures, BACKOFF_MS.length - 1)]);
        this.failures++;
      }
      return false;
    }
  }

  /**
   * One attempt: over the open socket when it is in its rooms and the message fits under the server's
   * limit for an event, else over REST. `echoed`: this tab's socket gets no `message.created` for it (the
   * socket's own send, or a REST send naming it), so the caller hands the answer to its subscribers instead.
   * Throws what classifySendFailure reads.
   */
  private async post(entry: OutboxEntry): Promise<{ message: MessageDto; echoed: boolean }> {
    const body: SendMessageDto = {
      clientId: entry.clientId,
      ...(entry.ciphertext ? { ciphertext: entry.ciphertext } : { body: entry.body }),
      expiresInSeconds: entry.expiresInSeconds,
      ...(entry.expiryMode ? { expiryMode: entry.expiryMode } : {}),
      ...(entry.kind !== 'message' ? { kind: entry.kind } : {}),
      ...(entry.relatesTo ? { relatesTo: entry.relatesTo } : {}),
      ...(entry.attachmentIds.length ? { attachmentIds: entry.attachmentIds } : {}),
    };
    const payload: SocketSendMessageDto = { conversationId: entry.conversationId, ...body };
    if (this.realtime.canSend(payload)) {
      const ack = await this.realtime.send(payload);
      if (ack.ok) {
        if (ack.sent) return { message: ack.sent, echoed: true };
        // Never sent so by the server; a resend is answered with the original, so nothing is lost by one.
        throw new SocketSendError('The acknowledgement did not carry the message');
      }
      throw new SendAckRefusal(ack);
    }
    // Named, this tab's socket gets no `message.created` for it: the answer brings the message.
    const socketId = this.realtime.socketId();
    const message = await this.api.invoke(messagesSend, { id: entry.conversationId, ...(socketId ? { 'X-Socket-Id': socketId } : {}), body });
    return { message, echoed: socketId !== undefined };
  }

  private async refuse(entry: OutboxEntry, refusal: Refusal): Promise<void> {
    await this.replace({ ...entry, refusal });
  }

  private async replace(entry: OutboxEntry): Promise<void> {
    this.items.update((items) => items.map((item) => (item.clientId === entry.clientId ? entry : item)));
    await this.store(entry);
  }

  private store(entry: OutboxEntry): Promise<void> {
    return this.write(entry.clientId, (db) => db.put(entry));
  }

  /** A change on disk, then a word to the other tabs. */
  private async write(clientId: string, change: (db: OutboxDb) => Promise<void>): Promise<void> {
    this.writing.add(clientId);
    try {
      const db = await this.db;
      // Without IndexedDB (a private window that refuses it) the outbox still works for this page's life.
      if (!db) return;
      await change(db).catch(() => undefined);
      this.tabs?.announce();
    } finally {
      this.writing.delete(clientId);
    }
  }

  /** Takes what IndexedDB holds (another tab may have added, sent or discarded), keeping this tab's writes on their way. */
  private async reload(): Promise<void> {
    const owner = this.userId;
    const db = await this.db;
    const stored = db ? await db.all().catch(() => null) : null;
    if (!stored || this.userId !== owner) return;
    const mine = this.items().filter((entry) => this.writing.has(entry.clientId));
    const merged = [...stored.filter((entry) => !this.writing.has(entry.clientId)), ...mine].sort((a, b) => a.queuedAt - b.queuedAt);
    this.items.set(merged);
    this.lastQueuedAt = Math.max(this.lastQueuedAt, ...stored.map((entry) => entry.queuedAt));
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.waitingValue.set(null);
      this.flush();
    }, ms);
  }

  /** Opens the new user's outbox; signing out deletes the previous user's (its ciphertext is tied to that device). */
  private switchUser(id: string | null): void {
    if (id === this.userId) return;
    const previous = this.userId;
    const closing = this.db;
    this.userId = id;
    if (previous !== null) this.items.set([]);
    this.waitingValue.set(null);
    this.failures = 0;
    clearTimeout(this.timer);
    this.tabs?.close();
    this.tabs = id ? new OutboxTabs(id, () => void this.reload()) : null;
    const idb = this.idb;
    this.db = (async () => {
      const old = await closing;
      old?.close();
      if (previous && idb) await OutboxDb.delete(previous, idb).catch(() => undefined);
      if (!id || !idb) return null;
      return OutboxDb.open(id, idb).catch(() => null);
    })();
    if (!id) return;
    void this.reload().then(() => {
      if (this.userId === id) this.flush();
    });
  }
}
