import { computed, signal } from '@angular/core';
import { Subject } from 'rxjs';
import type { MessageSendAckDto } from '../../sdk/models/message-send-ack-dto';
import type { ClientEvents } from '../../sdk/realtime-events';
import { fitsSocketEvent, SocketSendError } from './realtime';

/** A `message.send` the fake took: the test answers it (`answer`) or lets it fail (`drop`, as a timeout or a dropped socket does). */
export interface FakeSend {
  payload: ClientEvents['message.send'];
  answer(ack: MessageSendAckDto): void;
  drop(): void;
}

/** Stands in for `Realtime` in specs: `serve(event, payload)` delivers a server event to its subscribers. */
export class FakeRealtime {
  readonly ready$ = new Subject<unknown>();
  readonly status = signal<'offline' | 'connecting' | 'ready'>('ready');
  readonly ready = computed(() => this.status() === 'ready');
  private readonly subjects = new Map<string, Subject<unknown>>();
  private readonly waiting: ((send: FakeSend) => void)[] = [];
  private readonly unclaimed: FakeSend[] = [];

  on(name: string): Subject<unknown> {
    if (!this.subjects.has(name)) this.subjects.set(name, new Subject());
    return this.subjects.get(name)!;
  }

  /** The id `socketId()` answers: a connected socket's, or undefined (no socket in its rooms). */
  connectedSocketId: string | undefined = undefined;
  /** The `ready` event's limit; null (a server that names none) keeps every send on REST, as Realtime does. */
  maxPayloadBytes: number | null = null;
  /** Every `message.send`, in the order emitted. */
  readonly sends: FakeSend[] = [];

  serve(name: string, payload: unknown): void {
    this.on(name).next(payload);
  }

  socketId(): string | undefined {
    return this.connectedSocketId;
  }

  echo(name: string, payload: unknown): void {
    this.serve(name, payload);
  }

  /** Realtime's rule, with the real size check. */
  canSend(payload: ClientEvents['message.send']): boolean {
    return this.connectedSocketId !== undefined && this.maxPayloadBytes !== null && fitsSocketEvent('message.send', payload, this.maxPayloadBytes);
  }

  send(payload: ClientEvents['message.send']): Promise<MessageSendAckDto> {
    return new Promise((resolve, reject) => {
      const send: FakeSend = { payload, answer: resolve, drop: () => reject(new SocketSendError('socket has been disconnected')) };
      this.sends.push(send);
      const waiter = this.waiting.shift();
      if (waiter) waiter(send);
      else this.unclaimed.push(send);
    });
  }

  /** The next `message.send` not yet taken by a test, once it is emitted. */
  nextSend(): Promise<FakeSend> {
    const send = this.unclaimed.shift();
    if (send) return Promise.resolve(send);
    return new Promise((resolve) => this.waiting.push(resolve));
  }
}
