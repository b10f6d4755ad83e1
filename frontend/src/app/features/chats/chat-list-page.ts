import { ChangeDetectionStrategy, Component, inject, type OnInit } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatProgressSpinnerModule } from '@angular/material/progress-spinner';
import { RouterLink } from '@angular/router';
import { AuthStore } from '../../core/auth-store';
import { Icon } from '../../shared/icon';
import { ChatListItem } from './chat-list-item';
import { ChatsStore } from './chats-store';

@Component({
  selector: 'app-chat-list-page',
  imports: [RouterLink, ChatListItem, Icon, MatButtonModule, MatProgressSpinnerModule],
  providers: [ChatsStore],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <h1 class="title">Chats</h1>
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
        @for (conversation of store.conversations(); track conversation.id) {
          <li><a class="link" [routerLink]="['/chats', conversation.id]"><app-chat-list-item [conversation]="conversation" [myId]="auth.user()?.id ?? null" /></a></li>
        }
      </ul>
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
  protected readonly store = inject(ChatsStore);
  protected readonly auth = inject(AuthStore);

  ngOnInit(): void {
    void this.store.load();
  }
}
