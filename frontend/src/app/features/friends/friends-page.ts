import { ChangeDetectionStrategy, Component, inject, type OnInit, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatDialog } from '@angular/material/dialog';
import { MatMenuModule } from '@angular/material/menu';
import { MatProgressSpinnerModule } from '@angular/material/progress-spinner';
import { Router } from '@angular/router';
import type { UserSummaryDto } from '../../../sdk/models/user-summary-dto';
import { Icon } from '../../shared/icon';
import { shortTime } from '../../shared/short-time';
import { confirmAction } from '../../shared/confirm-dialog';
import { FriendsStore } from './friends-store';
import { PersonRow } from './person-row';
import { UserSearch } from './user-search';

/** Find people, answer requests, see friends (with who is online), and manage blocked users. */
@Component({
  selector: 'app-friends-page',
  imports: [MatButtonModule, MatMenuModule, MatProgressSpinnerModule, Icon, PersonRow, UserSearch],
  changeDetection: ChangeDetectionStrategy.OnPush,
  host: { '(document:visibilitychange)': 'onVisibilityChange()' },
  template: `
    <h1 class="title">Friends</h1>
    <app-user-search (activeChange)="searching.set($event)" />
    @if (!searching()) {
      @if (store.error(); as error) {
        <div class="state error" role="alert">
          <app-icon name="error" />
          <p>Could not load your friends. {{ error }}</p>
          <button mat-stroked-button type="button" (click)="store.load()">Try again</button>
        </div>
      } @else if (store.loading()) {
        <div class="state" role="status">
          <mat-spinner diameter="36" />
          <p>Loading friends…</p>
        </div>
      } @else if (store.loaded()) {
        <section class="section" aria-labelledby="requests-title">
          <h2 id="requests-title" class="heading">
            Friend requests
            @if (store.incomingCount() > 0) {
              <span class="count" data-testid="incoming-count">{{ store.incomingCount() }}</span>
            }
          </h2>
          @if (store.incoming().length === 0 && store.outgoing().length === 0) {
            <p class="empty">No pending requests. When someone asks to be your friend, it shows up here.</p>
          }
          @if (store.incoming().length > 0) {
            <ul class="list" aria-label="Incoming requests">
              @for (request of store.incoming(); track request.id) {
                @let busy = store.isBusy(request.from.id);
                <li>
                  <app-person-row [user]="request.from" [name]="request.from.displayName" [username]="request.from.username" [detail]="'asked ' + when(request.createdAt)">
                    <button mat-flat-button type="button" [disabled]="busy" [attr.aria-label]="'Accept friend request from ' + request.from.displayName" (click)="store.accept(request)">
                      <app-icon matButtonIcon name="check" class="button-icon" />Accept
                    </button>
                    <button mat-button type="button" [disabled]="busy" [attr.aria-label]="'Decline friend request from ' + request.from.displayName" (click)="store.decline(request)">
                      Decline
                    </button>
                  </app-person-row>
                </li>
              }
            </ul>
          }
          @if (store.outgoing().length > 0) {
            <h3 class="subheading">Sent by you</h3>
            <ul class="list" aria-label="Sent requests">
              @for (request of store.outgoing(); track request.id) {
                <li>
                  <app-person-row [user]="request.to" [name]="request.to.displayName" [username]="request.to.username" [detail]="'sent ' + when(request.createdAt)">
                    <button mat-button type="button" [disabled]="store.isBusy(request.to.id)" [attr.aria-label]="'Cancel friend request to ' + request.to.displayName" (click)="store.cancel(request)">
                      Cancel request
                    </button>
                  </app-person-row>
                </li>
              }
            </ul>
          }
        </section>

        <section class="section" aria-labelledby="friends-title">
          <h2 id="friends-title" class="heading">
            Your friends
            @if (store.friends().length > 0) {
              <span class="total">{{ store.friends().length }}</span>
            }
          </h2>
          @if (store.friends().length === 0) {
            <div class="state empty-friends">
              <app-icon name="group" />
              <p class="headline">No friends yet</p>
              <p>Search for people by name or username above and add them. Once they accept, you can start chatting.</p>
            </div>
          } @else {
            <ul class="list" aria-label="Friends">
              @for (friend of store.friends(); track friend.id) {
                @let busy = store.isBusy(friend.id);
                <li>
                  <app-person-row [user]="friend" [name]="friend.displayName" [username]="friend.username" [detail]="friend.statusMessage" [online]="store.isOnline(friend.id)">
                    <button mat-flat-button type="button" [disabled]="busy" [attr.aria-label]="'Message ' + friend.displayName" (click)="message(friend)">
                      <app-icon matButtonIcon name="chat" class="button-icon" />Message
                    </button>
                    <button mat-icon-button type="button" [disabled]="busy" [matMenuTriggerFor]="menu" [attr.aria-label]="'More actions for ' + friend.displayName">
                      <app-icon name="more-vert" />
                    </button>
                    <mat-menu #menu="matMenu">
                      <button mat-menu-item type="button" (click)="unfriend(friend)">
                        <app-icon name="person-remove" class="menu-icon" /><span>Unfriend</span>
                      </button>
                      <button mat-menu-item type="button" (click)="block(friend)">
                        <app-icon name="block" class="menu-icon" /><span>Block</span>
                      </button>
                    </mat-menu>
                  </app-person-row>
                </li>
              }
            </ul>
          }
        </section>

        <section class="section" aria-labelledby="blocked-title">
          <h2 id="blocked-title" class="heading">Blocked</h2>
          @if (store.blocked().length === 0) {
            <p class="empty">You have not blocked anyone. People you block cannot find you, ask to be friends or message you.</p>
          } @else {
            <ul class="list" aria-label="Blocked users">
              @for (item of store.blocked(); track item.user.id) {
                <li>
                  <app-person-row [name]="item.user.displayName" [username]="item.user.username" [detail]="'blocked ' + when(item.blockedAt)">
                    <button mat-stroked-button type="button" [disabled]="store.isBusy(item.user.id)" [attr.aria-label]="'Unblock ' + item.user.displayName" (click)="store.unblock(item.user)">
                      Unblock
                    </button>
                  </app-person-row>
                </li>
              }
            </ul>
          }
        </section>
      }
    }
  `,
  styles: `
    :host { display: block; padding-bottom: 24px; }
    .title { margin: 0; padding: 16px 16px 8px; font: var(--mat-sys-title-large); }
    .section { margin-top: 8px; }
    .heading { display: flex; align-items: center; gap: 8px; margin: 0; padding: 16px 16px 4px;
      font: var(--mat-sys-title-small); color: var(--mat-sys-primary); }
    .subheading { margin: 0; padding: 12px 16px 0; font: var(--mat-sys-label-large); color: var(--mat-sys-on-surface-variant); }
    .count { min-width: 20px; height: 20px; padding: 0 6px; box-sizing: border-box; border-radius: 10px;
      display: inline-grid; place-items: center; font: var(--mat-sys-label-small);
      background: var(--mat-sys-primary); color: var(--mat-sys-on-primary); }
    .total { font: var(--mat-sys-label-medium); color: var(--mat-sys-on-surface-variant); }
    .list { list-style: none; margin: 0; padding: 0; }
    .list li + li { border-top: 1px solid var(--mat-sys-outline-variant); }
    .empty { margin: 0; padding: 8px 16px; font: var(--mat-sys-body-medium); color: var(--mat-sys-on-surface-variant); }
    .button-icon { --icon-size: 18px; margin-right: 6px; }
    .menu-icon { --icon-size: 20px; margin-right: 12px; vertical-align: middle; }
    .state { display: flex; flex-direction: column; align-items: center; gap: 8px; padding: 48px 24px;
      text-align: center; color: var(--mat-sys-on-surface-variant); font: var(--mat-sys-body-medium); --icon-size: 48px; }
    .state.empty-friends { padding: 24px; }
    .state p { margin: 0; max-width: 32em; }
    .state .headline { font: var(--mat-sys-title-medium); color: var(--mat-sys-on-surface); }
    .state.error { color: var(--mat-sys-error); }
  `,
})
export class FriendsPage implements OnInit {
  protected readonly store = inject(FriendsStore);
  private readonly dialog = inject(MatDialog);
  private readonly router = inject(Router);
  protected readonly searching = signal(false);

  ngOnInit(): void {
    // Declines, cancels and unfriends by the other side are not pushed: read the lists on every visit.
    void this.store.load(this.store.loaded());
  }

  /** Back in the tab: catch up on what the socket does not tell (declines, cancels, unfriends). */
  protected onVisibilityChange(): void {
    if (document.visibilityState === 'visible' && this.store.loaded()) void this.store.load(true);
  }

  protected when(iso: string): string {
    return shortTime(iso);
  }

  protected async message(friend: UserSummaryDto): Promise<void> {
    const id = await this.store.openConversation(friend);
    if (id) await this.router.navigate(['/chats', id]);
  }

  protected async unfriend(friend: UserSummaryDto): Promise<void> {
    const confirmed = await confirmAction(this.dialog, {
      title: `Unfriend ${friend.displayName}?`,
      message: 'You will no longer be able to message each other. Your conversation stays readable, and either of you can send a new friend request later.',
      confirm: 'Unfriend',
    });
    if (confirmed) await this.store.unfriend(friend);
  }

  protected async block(user: UserSummaryDto): Promise<void> {
    const confirmed = await confirmAction(this.dialog, {
      title: `Block ${user.displayName}?`,
      message: 'They will not be able to find you, send you friend requests or message you. Your friendship ends and your conversation becomes read-only. You can unblock them later.',
      confirm: 'Block',
    });
    if (confirmed) await this.store.block(user);
  }
}
