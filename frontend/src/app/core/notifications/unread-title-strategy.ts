import { inject, Injectable } from '@angular/core';
import { type RouterStateSnapshot, TitleStrategy } from '@angular/router';
import { UnreadBadge } from './unread-badge';

/** The route's title, with the unread total in front of it (UnreadBadge). */
@Injectable()
export class UnreadTitleStrategy extends TitleStrategy {
  private readonly badge = inject(UnreadBadge);

  override updateTitle(snapshot: RouterStateSnapshot): void {
    const title = this.buildTitle(snapshot);
    if (title !== undefined) this.badge.setPage(title);
  }
}
