import type { DestroyRef } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { merge, type Observable } from 'rxjs';
import { map } from 'rxjs/operators';
import type { Api } from '../../../sdk/api';
import { conversationsGet } from '../../../sdk/fn/conversations/conversations-get';
import type { ConversationDto } from '../../../sdk/models/conversation-dto';
import type { UserSummaryDto } from '../../../sdk/models/user-summary-dto';
import type { Realtime } from '../../core/realtime';

/**
 * What can happen to the person on the other side of a conversation while it is on screen: a new name
 * or picture; a friendship that began or ended, or a block made on another device (whether one can
 * write there: the server's `readOnly` says); their account erased.
 */
export type PeerChange =
  | { kind: 'profile'; user: UserSummaryDto }
  | { kind: 'relation'; userId: string }
  | { kind: 'erased'; userId: string };

export function peerChanges(realtime: Realtime): Observable<PeerChange> {
  return merge(
    realtime.on('user.updated').pipe(map((user): PeerChange => ({ kind: 'profile', user }))),
    realtime.on('friend.removed').pipe(map(({ userId }): PeerChange => ({ kind: 'relation', userId }))),
    realtime.on('friend.accepted').pipe(map(({ id }): PeerChange => ({ kind: 'relation', userId: id }))),
    realtime.on('block.changed').pipe(map(({ userId }): PeerChange => ({ kind: 'relation', userId }))),
    realtime.on('user.erased').pipe(map(({ userId }): PeerChange => ({ kind: 'erased', userId }))),
  );
}

/**
 * The conversation after the change: updated here, `'reload'` when only the server can tell (who may
 * write is its rule, and the blocked side is not told why), null when the change is not about its peer.
 */
export function applyPeerChange(conversation: ConversationDto, change: PeerChange): ConversationDto | 'reload' | null {
  const peer = conversation.peer;
  if (!peer) return null;
  switch (change.kind) {
    case 'profile':
      if (change.user.id !== peer.id) return null;
      return { ...conversation, peer: { ...peer, displayName: change.user.displayName, avatarVersion: change.user.avatarVersion } };
    case 'relation':
      return change.userId === peer.id ? 'reload' : null;
    case 'erased':
      return change.userId === peer.id ? { ...conversation, peer: null, readOnly: 'peer-gone', peerLastReadSeq: null } : null;
  }
}

/**
 * Keeps the conversations a store shows up to date with their peers' changes: `shown` lists them,
 * `replace` takes a conversation's new state. A reload that fails leaves it as it was (the next one,
 * or the catch-up after a reconnect, brings it).
 */
export function followPeerChanges(
  realtime: Realtime,
  api: Api,
  destroyRef: DestroyRef,
  shown: () => readonly ConversationDto[],
  replace: (conversation: ConversationDto) => void,
): void {
  peerChanges(realtime)
    .pipe(takeUntilDestroyed(destroyRef))
    .subscribe((change) => {
      for (const conversation of shown()) {
        const next = applyPeerChange(conversation, change);
        if (next === 'reload') api.invoke(conversationsGet, { id: conversation.id }).then(replace, () => undefined);
        else if (next) replace(next);
      }
    });
}
