import { computed, inject } from '@angular/core';
import { provideShellTab } from '../../core/shell-tabs';
import { FriendsStore } from './friends-store';

/** The Friends tab counts incoming requests, which keeps the store live app-wide. */
export const friendsTab = provideShellTab(() => {
  const friends = inject(FriendsStore);
  return computed(() => {
    const requests = friends.incomingCount();
    return { path: '/friends', label: 'Friends', badge: requests, badgeLabel: `${requests} friend request${requests === 1 ? '' : 's'}` };
  });
});
