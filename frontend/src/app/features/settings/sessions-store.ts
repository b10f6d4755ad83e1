import { inject, Injectable, signal } from '@angular/core';
import { Api } from '../../../sdk/api';
import { sessionsList } from '../../../sdk/fn/sessions/sessions-list';
import { sessionsRevoke } from '../../../sdk/fn/sessions/sessions-revoke';
import { sessionsRevokeOthers } from '../../../sdk/fn/sessions/sessions-revoke-others';
import type { SessionDto } from '../../../sdk/models/session-dto';

/** Where the user is signed in; ending one session or all the others. */
@Injectable()
export class SessionsStore {
  private readonly api = inject(Api);
  private readonly list = signal<SessionDto[] | null>(null);
  private readonly failed = signal(false);
  private readonly busyIds = signal<ReadonlySet<string>>(new Set());
  /** Null until the first answer. */
  readonly sessions = this.list.asReadonly();
  readonly loadFailed = this.failed.asReadonly();
  readonly busy = this.busyIds.asReadonly();

  async load(): Promise<void> {
    try {
      this.list.set((await this.api.invoke(sessionsList)).items);
      this.failed.set(false);
    } catch {
      this.failed.set(true);
    }
  }

  /** Ends one other session; its tokens, sockets and encryption device stop at once. */
  async revoke(id: string): Promise<void> {
    await this.withBusy(id, () => this.api.invoke(sessionsRevoke, { id }));
    this.list.update((items) => items?.filter((item) => item.id !== id) ?? null);
  }

  /** Ends every session but this one; answers how many ended. */
  async revokeOthers(): Promise<number> {
    const { revoked } = await this.withBusy('others', () => this.api.invoke(sessionsRevokeOthers));
    this.list.update((items) => items?.filter((item) => item.current) ?? null);
    return revoked;
  }

  private async withBusy<T>(key: string, work: () => Promise<T>): Promise<T> {
    this.busyIds.update((ids) => new Set(ids).add(key));
    try {
      return await work();
    } finally {
      this.busyIds.update((ids) => {
        const next = new Set(ids);
        next.delete(key);
        return next;
      });
    }
  }
}
