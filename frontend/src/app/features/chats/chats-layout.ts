import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { ActivatedRoute, type ActivatedRouteSnapshot, NavigationEnd, Router, RouterOutlet } from '@angular/router';
import { filter, map } from 'rxjs';
import { ChatListPage } from './chat-list-page';

/** The id of the conversation open under `route`, or null when only the list is open. */
function openId(route: ActivatedRouteSnapshot | null | undefined): string | null {
  // The snapshot tree: while this component is created, the child ActivatedRoute has no snapshot yet.
  return route?.firstChild?.paramMap.get('id') ?? null;
}

/** The chats route in the router's current state, where this layout sits. */
function chatsRoute(router: Router): ActivatedRouteSnapshot | null {
  let route: ActivatedRouteSnapshot | null = router.routerState.snapshot.root;
  while (route && route.routeConfig?.path !== 'chats') route = route.firstChild;
  return route;
}

/**
 * Chats in two panes from 1024 px (the list beside the open conversation, as desktop messengers do);
 * on a narrower screen one pane at a time: the list, or the conversation once one is open.
 */
@Component({
  selector: 'app-chats-layout',
  imports: [ChatListPage, RouterOutlet],
  changeDetection: ChangeDetectionStrategy.OnPush,
  host: { '[class.open]': 'activeId() !== null' },
  template: `
    <section class="list-pane" aria-labelledby="chats-title">
      <app-chat-list-page [activeId]="activeId()" />
    </section>
    <div class="conversation-pane">
      <router-outlet />
    </div>
  `,
  styles: `
    :host { display: grid; grid-template-columns: 1fr; height: calc(100dvh - var(--shell-bar-height, 64px)); min-height: 0; }
    .list-pane { min-width: 0; min-height: 0; overflow-y: auto; }
    .conversation-pane { min-width: 0; min-height: 0; display: flex; flex-direction: column; }
    :host(.open) .list-pane { display: none; }
    :host(:not(.open)) .conversation-pane { display: none; }
    @media (min-width: 1024px) {
      :host { grid-template-columns: minmax(300px, 360px) 1fr; }
      .list-pane { border-right: 1px solid var(--mat-sys-outline-variant); }
      :host(.open) .list-pane { display: block; }
      :host(:not(.open)) .conversation-pane { display: flex; }
    }
  `,
})
export class ChatsLayout {
  private readonly route = inject(ActivatedRoute);
  private readonly router = inject(Router);
  // Created during a navigation, the layout reads its own snapshot; created after one ended (the shell
  // shows its outlet once the session is restored, after a reload), the router's state, since no
  // NavigationEnd follows, not even when the open chat is clicked again.
  protected readonly activeId = toSignal(
    this.router.events.pipe(
      filter((event) => event instanceof NavigationEnd),
      map(() => openId(chatsRoute(this.router))),
    ),
    { initialValue: openId(this.route.snapshot) ?? openId(chatsRoute(this.router)) },
  );
}
