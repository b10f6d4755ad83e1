import { inject, Injectable, signal } from '@angular/core';
import { Api } from '../../../sdk/api';
import { adminAudit } from '../../../sdk/fn/admin/admin-audit';
import { usersGetProfile } from '../../../sdk/fn/users/users-get-profile';
import type { AuditEventDto } from '../../../sdk/models/audit-event-dto';
import { errorCode } from '../../core/api-errors';
import { AuthStore } from '../../core/auth-store';
import { PagedList } from '../../shared/paged-list';
import type { KnownActor } from './audit-words';

const PAGE_SIZE = 50;

/** The audit trail, newest first, with the acting admins' names looked up. Provided by the audit page. */
@Injectable()
export class AdminAuditStore {
  private readonly api = inject(Api);
  private readonly auth = inject(AuthStore);
  private readonly list = new PagedList<AuditEventDto>(
    (cursor) => this.api.invoke(adminAudit, { limit: PAGE_SIZE, cursor }),
    (events) => this.lookUpActors(events),
  );
  /** The acting admins' names by id, as far as they could be looked up. */
  private readonly actorCache = signal<Record<string, KnownActor>>({});
  private readonly requested = new Set<string>();

  readonly events = this.list.items;
  readonly actors = this.actorCache.asReadonly();
  readonly loading = this.list.loading;
  readonly refreshing = this.list.refreshing;
  readonly loadingMore = this.list.loadingMore;
  readonly loaded = this.list.loaded;
  readonly busy = this.list.busy;
  readonly failed = this.list.failed;
  readonly error = this.list.error;
  readonly hasMore = this.list.hasMore;

  load(): Promise<void> {
    return this.list.load();
  }

  loadMore(): Promise<void> {
    return this.list.loadMore();
  }

  /** Each acting admin once; the trail stores only their id. */
  private lookUpActors(events: AuditEventDto[]): void {
    const me = this.auth.user();
    for (const event of events) {
      const id = event.actorId;
      if (id === null || this.requested.has(id)) continue;
      this.requested.add(id);
      if (me && id === me.id) {
        this.remember(id, { username: me.username, displayName: me.displayName });
        continue;
      }
      this.api.invoke(usersGetProfile, { id }).then(
        (profile) => this.remember(id, { username: profile.username, displayName: profile.displayName }),
        // Hidden by a block, they stay "an administrator"; after a passing failure the next load asks again.
        (error: unknown) => {
          if (errorCode(error) !== 'USER_NOT_FOUND') this.requested.delete(id);
        },
      );
    }
  }

  private remember(id: string, actor: KnownActor): void {
    this.actorCache.update((actors) => ({ ...actors, [id]: actor }));
  }
}
