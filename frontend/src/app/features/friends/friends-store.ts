import { computed, DestroyRef, effect, inject, Injectable, signal, untracked } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { Api } from '../../../sdk/api';
import { conversationsOpen } from '../../../sdk/fn/conversations/conversations-open';
import { blocksBlock } from '../../../sdk/fn/friends/blocks-block';
import { blocksList } from '../../../sdk/fn/friends/blocks-list';
import { blocksUnblock } from '../../../sdk/fn/friends/blocks-unblock';
import { friendsAccept } from '../../../sdk/fn/friends/friends-accept';
import { friendsCancel } from '../../../sdk/fn/friends/friends-cancel';
import { friendsDecline } from '../../../sdk/fn/friends/friends-decline';
import { friendsList } from '../../../sdk/fn/friends/friends-list';
import { friendsListRequests } from '../../../sdk/fn/friends/friends-list-requests';
import { friendsSend } from '../../../sdk/fn/friends/friends-send';
import { friendsUnfriend } from '../../../sdk/fn/friends/friends-unfriend';
import type { BlockedUserDto } from '../../../sdk/models/blocked-user-dto';
import type { FriendDto } from '../../../sdk/models/friend-dto';
import type { FriendRequestDto } from '../../../sdk/models/friend-request-dto';
import type { UserSummaryDto } from '../../../sdk/models/user-summary-dto';
import { describeError, errorCode } from '../../core/api-errors';
import { AuthStore } from '../../core/auth-store';
import { Realtime } from '../../core/realtime';
import { Toasts } from '../../shared/toasts';

const PAGE_SIZE = 100;

/** Where the signed-in user stands with someone, as the search results show it. */
export type Relation =
  | { kind: 'none' }
  | { kind: 'friend'; friend: FriendDto }
  | { kind: 'incoming'; request: FriendRequestDto }
  | { kind: 'outgoing'; request: FriendRequestDto }
  | { kind: 'blocked' };

const NONE: Relation = { kind: 'none' };

/** Codes after which what the client shows is out of date: read the lists again. */
const STALE_CODES = new Set(['ALREADY_FRIENDS', 'REQUEST_ALREADY_SENT', 'FRIEND_REQUEST_NOT_FOUND', 'NOT_FRIENDS', 'USER_BLOCKED']);

interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * Friends, pending requests both ways, blocked users and which friends are online, kept live through the
 * socket. App-wide (the shell shows the number of incoming requests); it starts empty for each user.
 */
@Injectable({ providedIn: 'root' })
export class FriendsStore {
  private readonly api = inject(Api);
  private readonly auth = inject(AuthStore);
  private readonly realtime = inject(Realtime);
  private readonly toasts = inject(Toasts);

  private readonly friendItems = signal<FriendDto[]>([]);
  private readonly incomingItems = signal<FriendRequestDto[]>([]);
  private readonly outgoingItems = signal<FriendRequestDto[]>([]);
  private readonly blockedItems = signal<BlockedUserDto[]>([]);
  private readonly onlineIds = signal<ReadonlySet<string>>(new Set());
  private readonly busyIds = signal<ReadonlySet<string>>(new Set());
  private readonly loadState = signal<'idle' | 'loading' | 'loaded' | 'error'>('idle');
  private readonly errorMessage = signal<string | null>(null);
  private userId: string | null = untracked(() => this.auth.user()?.id ?? null);
  /** Bumped on every reset, so an answer for the previous user is dropped. */
  private generation = 0;

  readonly friends = this.friendItems.asReadonly();
  readonly incoming = this.incomingItems.asReadonly();
  readonly outgoing = this.outgoingItems.asReadonly();
  readonly blocked = this.blockedItems.asReadonly();
  readonly incomingCount = computed(() => this.incomingItems().length);
  readonly loading = computed(() => this.loadState() === 'loading');
  readonly loaded = computed(() => this.loadState() === 'loaded');
  readonly error = this.errorMessage.asReadonly();

  /** Everyone the user has a relation with, by user id; a block outweighs everything else. */
  private readonly relations = computed(() => {
    const relations = new Map<string, Relation>();
    for (const request of this.outgoingItems()) relations.set(request.to.id, { kind: 'outgoing', request });
    for (const request of this.incomingItems()) relations.set(request.from.id, { kind: 'incoming', request });
    for (const friend of this.friendItems()) relations.set(friend.id, { kind: 'friend', friend });
    for (const blocked of this.blockedItems()) relations.set(blocked.user.id, { kind: 'blocked' });
    return relations;
  });

  constructor() {
    // A root service outlives a sign-out: start from nothing whenever another user signs in.
    effect(() => {
      const id = this.auth.user()?.id ?? null;
      untracked(() => {
        if (id !== this.userId) this.reset(id);
      });
    });
    // Who is online is re-announced on every connection (before `ready`): forget it while disconnected.
    effect(() => {
      if (this.realtime.status() !== 'ready') untracked(() => this.onlineIds.set(new Set()));
    });
    const destroyRef = inject(DestroyRef);
    this.realtime.ready$.pipe(takeUntilDestroyed(destroyRef)).subscribe(() => void this.refresh());
    this.realtime.on('friend.request').pipe(takeUntilDestroyed(destroyRef)).subscribe((request) => {
      const isNew = request.to.id === this.auth.user()?.id && !this.incomingItems().some((item) => item.id === request.id);
      this.applyRequest(request);
      if (isNew) this.toasts.info(`${request.from.displayName} wants to be your friend.`);
    });
    this.realtime.on('friend.accepted').pipe(takeUntilDestroyed(destroyRef)).subscribe((friend) => {
      const theyAccepted = this.outgoingItems().some((item) => item.to.id === friend.id);
      this.applyFriend(friend);
      if (theyAccepted) this.toasts.info(`${friend.displayName} accepted your friend request.`);
    });
    this.realtime.on('presence').pipe(takeUntilDestroyed(destroyRef)).subscribe(({ userId, online }) => this.setOnline(userId, online));
    // What the other person did, on this screen at once: unfriended (or blocked: it looks the same), declined, cancelled, erased.
    for (const name of ['friend.removed', 'user.erased'] as const) {
      this.realtime.on(name).pipe(takeUntilDestroyed(destroyRef)).subscribe(({ userId }) => {
        this.removeFriend(userId);
        this.removeRequests(userId);
      });
    }
    this.realtime.on('friend.request.removed').pipe(takeUntilDestroyed(destroyRef)).subscribe(({ id }) => {
      this.incomingItems.update((items) => items.filter((item) => item.id !== id));
      this.outgoingItems.update((items) => items.filter((item) => item.id !== id));
    });
    // A block or unblock made on another device of this user.
    this.realtime.on('block.changed').pipe(takeUntilDestroyed(destroyRef)).subscribe(() => void this.refresh());
    this.realtime.on('user.updated').pipe(takeUntilDestroyed(destroyRef)).subscribe((user) => this.applyProfile(user));
  }

  relationOf(userId: string): Relation {
    return this.relations().get(userId) ?? NONE;
  }

  isOnline(userId: string): boolean {
    return this.onlineIds().has(userId);
  }

  /** True while an action about this user is on its way (their buttons are disabled meanwhile). */
  isBusy(userId: string): boolean {
    return this.busyIds().has(userId);
  }

  /** Reads all four lists; `quiet` keeps what is on screen while it does. */
  async load(quiet = false): Promise<void> {
    const generation = this.generation;
    if (!quiet || this.loadState() === 'idle' || this.loadState() === 'error') this.loadState.set('loading');
    this.errorMessage.set(null);
    try {
      const [friends, incoming, outgoing, blocked] = await Promise.all([
        this.all((cursor) => this.api.invoke(friendsList, { limit: PAGE_SIZE, cursor })),
        this.all((cursor) => this.api.invoke(friendsListRequests, { direction: 'incoming', limit: PAGE_SIZE, cursor })),
        this.all((cursor) => this.api.invoke(friendsListRequests, { direction: 'outgoing', limit: PAGE_SIZE, cursor })),
        this.all((cursor) => this.api.invoke(blocksList, { limit: PAGE_SIZE, cursor })),
      ]);
      if (generation !== this.generation) return;
      this.friendItems.set(friends);
      this.incomingItems.set(incoming);
      this.outgoingItems.set(outgoing);
      this.blockedItems.set(blocked);
      this.loadState.set('loaded');
    } catch (error) {
      if (generation !== this.generation) return;
      this.errorMessage.set(describeError(error));
      this.loadState.set('error');
    }
  }

  /** After each (re)connect: events sent meanwhile are not replayed. Only the badge's list until the page is opened. */
  async refresh(): Promise<void> {
    if (this.loadState() !== 'idle') return this.load(true);
    const generation = this.generation;
    try {
      const incoming = await this.all((cursor) => this.api.invoke(friendsListRequests, { direction: 'incoming', limit: PAGE_SIZE, cursor }));
      if (generation === this.generation && this.loadState() === 'idle') this.incomingItems.set(incoming);
    } catch {
      // Only the badge is missing; the page reads everything again when opened.
    }
  }

  async sendRequest(user: UserSummaryDto): Promise<boolean> {
    return this.run(user.id, async () => {
      const result = await this.api.invoke(friendsSend, { body: { userId: user.id } });
      if (result.status === 'accepted' && result.friend) {
        this.applyFriend(result.friend);
        this.toasts.info(`You and ${user.displayName} are now friends.`);
      } else if (result.request) {
        this.applyRequest(result.request);
        this.toasts.info(`Friend request sent to ${user.displayName}.`);
      }
    });
  }

  async accept(request: FriendRequestDto): Promise<boolean> {
    return this.run(request.from.id, async () => {
      const friend = await this.api.invoke(friendsAccept, { id: request.id });
      this.applyFriend(friend);
      this.toasts.info(`You and ${friend.displayName} are now friends.`);
    });
  }

  async decline(request: FriendRequestDto): Promise<boolean> {
    return this.run(request.from.id, async () => {
      await this.api.invoke(friendsDecline, { id: request.id });
      this.removeRequests(request.from.id);
      this.toasts.info(`Declined ${request.from.displayName}'s request.`);
    });
  }

  async cancel(request: FriendRequestDto): Promise<boolean> {
    return this.run(request.to.id, async () => {
      await this.api.invoke(friendsCancel, { id: request.id });
      this.removeRequests(request.to.id);
      this.toasts.info(`Cancelled your request to ${request.to.displayName}.`);
    });
  }

  async unfriend(friend: UserSummaryDto): Promise<boolean> {
    return this.run(friend.id, async () => {
      await this.api.invoke(friendsUnfriend, { userId: friend.id });
      this.removeFriend(friend.id);
      this.toasts.info(`${friend.displayName} is no longer your friend.`);
    });
  }

  async block(user: UserSummaryDto): Promise<boolean> {
    return this.run(user.id, async () => {
      await this.api.invoke(blocksBlock, { userId: user.id });
      // Blocking ends the friendship and any pending requests (the server did the same).
      this.removeFriend(user.id);
      this.removeRequests(user.id);
      const summary = { id: user.id, username: user.username, displayName: user.displayName, avatarVersion: null };
      this.blockedItems.update((items) => [{ user: summary, blockedAt: new Date().toISOString() }, ...items.filter((item) => item.user.id !== user.id)]);
      this.toasts.info(`Blocked ${user.displayName}.`);
    });
  }

  async unblock(user: UserSummaryDto): Promise<boolean> {
    return this.run(user.id, async () => {
      await this.api.invoke(blocksUnblock, { userId: user.id });
      this.blockedItems.update((items) => items.filter((item) => item.user.id !== user.id));
      this.toasts.info(`Unblocked ${user.displayName}.`);
    });
  }

  /** The conversation with a friend (created on first use); null when it could not be opened (said in a toast). */
  async openConversation(user: UserSummaryDto): Promise<string | null> {
    let id: string | null = null;
    await this.run(user.id, async () => {
      id = (await this.api.invoke(conversationsOpen, { body: { userId: user.id, encrypted: true } })).id;
    });
    return id;
  }

  /** Marks the user busy, runs the call, and says in a toast why it failed (then re-reads lists that were stale). */
  private async run(userId: string, action: () => Promise<void>): Promise<boolean> {
    if (this.isBusy(userId)) return false;
    const generation = this.generation;
    this.busyIds.update((ids) => new Set(ids).add(userId));
    try {
      await action();
      return true;
    } catch (error) {
      if (generation !== this.generation) return false;
      this.toasts.error(error);
      const code = errorCode(error);
      if (code && STALE_CODES.has(code)) void this.load(true);
      return false;
    } finally {
      this.busyIds.update((ids) => {
        const next = new Set(ids);
        next.delete(userId);
        return next;
      });
    }
  }

  /** A new request to or from the user (from the socket, or the answer to sending one). */
  private applyRequest(request: FriendRequestDto): void {
    const me = this.auth.user()?.id;
    const list = request.to.id === me ? this.incomingItems : request.from.id === me ? this.outgoingItems : null;
    list?.update((items) => [request, ...items.filter((item) => item.id !== request.id)]);
  }

  /** A new friend: pending requests between the two are gone. */
  private applyFriend(friend: FriendDto): void {
    this.removeRequests(friend.id);
    this.friendItems.update((items) =>
      [...items.filter((item) => item.id !== friend.id), friend].sort((a, b) => a.username.localeCompare(b.username)),
    );
  }

  /** A new name or picture wherever the person is listed. */
  private applyProfile(user: UserSummaryDto): void {
    const { displayName, avatarVersion } = user;
    const same = (other: UserSummaryDto) => other.id === user.id;
    this.friendItems.update((items) => items.map((item) => (same(item) ? { ...item, displayName, avatarVersion } : item)));
    const request = (item: FriendRequestDto) =>
      same(item.from) ? { ...item, from: { ...item.from, displayName, avatarVersion } } : same(item.to) ? { ...item, to: { ...item.to, displayName, avatarVersion } } : item;
    this.incomingItems.update((items) => items.map(request));
    this.outgoingItems.update((items) => items.map(request));
  }

  private removeFriend(userId: string): void {
    this.friendItems.update((items) => items.filter((item) => item.id !== userId));
    this.setOnline(userId, false);
  }

  private removeRequests(userId: string): void {
    this.incomingItems.update((items) => items.filter((item) => item.from.id !== userId));
    this.outgoingItems.update((items) => items.filter((item) => item.to.id !== userId));
  }

  private setOnline(userId: string, online: boolean): void {
    if (this.onlineIds().has(userId) === online) return;
    this.onlineIds.update((ids) => {
      const next = new Set(ids);
      if (online) next.add(userId);
      else next.delete(userId);
      return next;
    });
  }

  private reset(userId: string | null): void {
    this.userId = userId;
    this.generation++;
    this.friendItems.set([]);
    this.incomingItems.set([]);
    this.outgoingItems.set([]);
    this.blockedItems.set([]);
    this.onlineIds.set(new Set());
    this.busyIds.set(new Set());
    this.loadState.set('idle');
    this.errorMessage.set(null);
  }

  private async all<T>(fetch: (cursor?: string) => Promise<Page<T>>): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | undefined;
    do {
      const page = await fetch(cursor);
      items.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return items;
  }
}
