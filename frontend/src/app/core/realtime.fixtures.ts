import { computed, signal } from '@angular/core';
import { Subject } from 'rxjs';

/** Stands in for `Realtime` in specs: `serve(event, payload)` delivers a server event to its subscribers. */
export class FakeRealtime {
  readonly ready$ = new Subject<unknown>();
  readonly status = signal<'offline' | 'connecting' | 'ready'>('ready');
  readonly ready = computed(() => this.status() === 'ready');
  private readonly subjects = new Map<string, Subject<unknown>>();

  on(name: string): Subject<unknown> {
    if (!this.subjects.has(name)) this.subjects.set(name, new Subject());
    return this.subjects.get(name)!;
  }

  /** The id `socketId()` answers: a connected socket's, or undefined (no socket in its rooms). */
  connectedSocketId: string | undefined = undefined;

  serve(name: string, payload: unknown): void {
    this.on(name).next(payload);
  }

  socketId(): string | undefined {
    return this.connectedSocketId;
  }

  echo(name: string, payload: unknown): void {
    this.serve(name, payload);
  }
}
