import { computed, inject, Injectable, signal } from '@angular/core';
import { Api } from '../../../sdk/api';
import { adminAudit } from '../../../sdk/fn/admin/admin-audit';
import { usersGetProfile } from '../../../sdk/fn/users/users-get-profile';
import type { AuditEventDto } from '../../../sdk/models/audit-event-dto';
import { describeError, errorCode } from '../../core/api-errors';
import { AuthStore } from '../../core/auth-store';
import type { KnownActor } from './audit-words';

const PAGE_SIZE = 50;

/** The audit trail, newest first, with the acting admins' names looked up. Provided by the audit page. */
@Injectable()
export class AdminAuditStore {
  private readonly api = inject(Api);
  private readonly auth = inject(AuthStore);
  private readonly items = signal<AuditEventDto[]>([]);
  private readonly nextCursor = signal<string | null>(null);
  private readonly state = signal<'idle' | 'loading' | 'refreshing' | 'loading-more' | 'loaded' | 'error'>('idle');
  private readonly errorMessage = signal<string | null>(null);
  /** The acting admins' names by id, as far as they could be looked up. */
  private readonly actorCache = signal<Record<string, KnownActor>>({});
  private readonly requested = new Set<string>();
  private generation = 0;

  readonly events = this.items.asReadonly();
  readonly actors = this.actorCache.asReadonly();
  readonly loading = computed(() => this.state() === 'loading');
  readonly refreshing = computed(() => this.state() === 'refreshing');
  readonly loadingMore = computed(() => this.state() === 'loading-more');
  readonly loaded = computed(() => this.state() === 'loaded');
  readonly busy = computed(() => ['loading', 'refreshing', 'loading-more'].includes(this.state()));
  readonly failed = computed(() => this.state() === 'error');
  readonly error = this.errorMessage.asReadonly();
  readonly hasMore = computed(() => this.nextCursor() !== null);

  async load(): Promise<void> {
    const generation = ++this.generation;
    this.state.set(this.items().length ? 'refreshing' : 'loading');
    this.errorMessage.set(null);
    try {
      const page = await this.api.invoke(adminAudit, { limit: PAGE_SIZE });
      if (generation !== this.generation) return;
      this.items.set(page.items);
      this.nextCursor.set(page.nextCursor);
      this.state.set('loaded');
      this.lookUpActors(page.items);
    } catch (error) {
      if (generation !== this.generation) return;
      this.errorMessage.set(describeError(error));
      this.state.set(this.items().length ? 'loaded' : 'error');
    }
  }

  async loadMore(): Promise<void> {
    const cursor = this.nextCursor();
    if (cursor === null || this.state() !== 'loaded') return;
    const generation = this.generation;
    this.state.set('loading-more');
    this.errorMessage.set(null);
    try {
      const page = await this.api.invoke(adminAudit, { limit: PAGE_SIZE, cursor });
      if (generation !== this.generation) return;
      const known = new Set(this.items().map((event) => event.id));
      this.items.update((items) => [...items, ...page.items.filter((event) => !known.has(event.id))]);
      this.nextCursor.set(page.nextCursor);
      this.lookUpActors(page.items);
    } catch (error) {
      if (generation !== this.generation) return;
      this.errorMessage.set(describeError(error));
    } finally {
      if (generation === this.generation) this.state.set('loaded');
    }
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
