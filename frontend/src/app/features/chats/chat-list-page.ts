import { ChangeDetectionStrategy, Component, computed, type ElementRef, inject, input, type OnInit, signal, viewChild } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatProgressSpinnerModule } from '@angular/material/progress-spinner';
import { Router, RouterLink } from '@angular/router';
import { AuthStore } from '../../core/auth-store';
import { Icon } from '../../shared/icon';
import { ChatListItem } from './chat-list-item';
import { ChatsStore } from './chats-store';
import { matchesChat, stepChat } from './chat-navigation';
import { NotificationsBanner } from './notifications-banner';

@Component({
  selector: 'app-chat-list-page',
  imports: [RouterLink, ChatListItem, Icon, MatButtonModule, MatProgressSpinnerModule, NotificationsBanner],
  providers: [ChatsStore],
  changeDetection: ChangeDetectionStrategy.OnPush,
  host: {
    '(document:keydown.alt.arrowdown)': 'step(1, $event)',
    '(document:keydown.alt.arrowup)': 'step(-1, $event)',
    '(document:keydown.control.k)': 'focusSearch($event)',
    '(document:keydown.meta.k)': 'focusSearch($event)',
  },
  template: `
    <!-- Beside an open conversation, the conversation's name is the page's heading. -->
    @if (activeId()) {
      <h2 class="title" id="chats-title">Chats</h2>
    } @else {
      <h1 class="title" id="chats-title">Chats</h1>
    }
    <app-notifications-banner />
    @if (store.conversations().length > 0) {
      <div class="search">
        <app-icon name="search" />
        <input #search type="search" class="search-input" placeholder="Search chats" aria-label="Search chats"
          aria-keyshortcuts="Control+K" aria-describedby="chat-keys" autocomplete="off" spellcheck="false"
          [value]="query()" (input)="query.set($any($event.target).value)" (keydown.escape)="query.set('')" />
      </div>
      <p class="sr-only" id="chat-keys">Alt+Down and Alt+Up open the next and the previous chat.</p>
    }
    @if (store.error(); as error) {
      <div class="state error" role="alert">
        <app-icon name="error" />
        <p>Could not load your conversations. {{ error }}</p>
        <button mat-stroked-button type="button" (click)="store.load()">Try again</button>
      </div>
    } @else if (store.loading() && store.conversations().length === 0) {
      <div class="state" role="status">
        <mat-spinner diameter="36" />
        <p>Loading conversations…</p>
      </div>
    } @else if (store.loaded() && store.conversations().length === 0) {
      <div class="state empty">
        <app-icon name="chat" />
        <p class="headline">No conversations yet</p>
        <p>When you and a friend start talking, your conversations show up here.</p>
        <a mat-flat-button routerLink="/friends">Find friends to start chatting</a>
      </div>
    }
    @if (store.conversations().length > 0) {
      <ul class="list" aria-label="Conversations">
        @for (conversation of shown(); track conversation.id) {
          <li><a class="link" [routerLink]="['/chats', conversation.id]" [class.active]="conversation.id === activeId()"
            [attr.aria-current]="conversation.id === activeId() ? 'page' : null"
            ><app-chat-list-item [conversation]="conversation" [myId]="auth.user()?.id ?? null"
          /></a></li>
        }
      </ul>
      @if (shown().length === 0) {
        <p class="no-match" role="status">No chat matches “{{ query() }}”.</p>
      }
      @if (store.hasMore()) {
        <div class="more">
          <button mat-button type="button" [disabled]="store.loading()" (click)="store.loadMore()">Show older conversations</button>
        </div>
      }
    }
  `,
  styles: `
    :host { display: block; padding-bottom: 24px; }
    .title { margin: 0; padding: 16px 16px 8px; font: var(--mat-sys-title-large); }
    .list { list-style: none; margin: 0; padding: 0; }
    .link { display: block; color: inherit; text-decoration: none; }
    .link:hover, .link:focus-visible { background: var(--mat-sys-surface-container); }
    .link.active { background: var(--mat-sys-secondary-container); color: var(--mat-sys-on-secondary-container); }
    .search { display: flex; align-items: center; gap: 8px; margin: 0 12px 8px; padding: 0 12px; border-radius: 20px;
      background: var(--mat-sys-surface-container-high); color: var(--mat-sys-on-surface-variant); --icon-size: 20px; }
    .search:focus-within { outline: 2px solid var(--mat-sys-primary); }
    .search-input { flex: 1; min-width: 0; height: 40px; border: 0; outline: 0; background: transparent; color: var(--mat-sys-on-surface);
      font: var(--mat-sys-body-large); }
    .search-input::placeholder { color: var(--mat-sys-on-surface-variant); }
    .no-match { margin: 16px; text-align: center; color: var(--mat-sys-on-surface-variant); }
    .list li + li { border-top: 1px solid var(--mat-sys-outline-variant); }
    .state { display: flex; flex-direction: column; align-items: center; gap: 8px; padding: 48px 24px;
      text-align: center; color: var(--mat-sys-on-surface-variant); font: var(--mat-sys-body-medium); --icon-size: 48px; }
    .state p { margin: 0; max-width: 32em; }
    .state .headline { font: var(--mat-sys-title-medium); color: var(--mat-sys-on-surface); }
    .state.error { color: var(--mat-sys-error); }
    .more { display: flex; justify-content: center; padding: 8px; }
  `,
})
export class ChatListPage implements OnInit {
  /** The conversation open beside the list, if any. */
  readonly activeId = input<string | null>(null);
  protected readonly store = inject(ChatsStore);
  protected readonly auth = inject(AuthStore);
  private readonly router = inject(Router);
  private readonly search = viewChild<ElementRef<HTMLInputElement>>('search');
  protected readonly query = signal('');
  protected readonly shown = computed(() => this.store.conversations().filter((conversation) => matchesChat(conversation, this.query())));

  /** Alt+Down / Alt+Up: open the next or the previous chat of the list as shown. */
  protected step(by: 1 | -1, event: Event): void {
    const target = stepChat(this.shown(), this.activeId(), by);
    if (!target) return;
    event.preventDefault();
    void this.router.navigate(['/chats', target]);
  }

  protected focusSearch(event: Event): void {
    const search = this.search()?.nativeElement;
    if (!search) return;
    event.preventDefault();
    search.focus();
    search.select();
  }

  ngOnInit(): void {
    void this.store.load();
  }
}
