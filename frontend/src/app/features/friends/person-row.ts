import { ChangeDetectionStrategy, Component, input } from '@angular/core';
import { Avatar } from '../../shared/avatar';
import type { AvatarOwner } from '../../shared/avatar-images';

/** Someone in one of the friends lists: avatar, name, @username and a second line; actions are projected. */
@Component({
  selector: 'app-person-row',
  imports: [Avatar],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <span class="avatar">
      <app-avatar [name]="name()" [user]="user()" />
      @if (online()) {
        <span class="dot" aria-hidden="true"></span>
      }
    </span>
    <span class="text">
      <span class="name">{{ name() }}</span>
      <span class="sub">
        <span class="username">&#64;{{ username() }}</span>
        @if (online()) {
          <span class="online" data-testid="online">online</span>
        }
        @if (detail()) {
          <span class="detail">{{ detail() }}</span>
        }
      </span>
    </span>
    <span class="actions"><ng-content /></span>
  `,
  styles: `
    :host { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 12px; padding: 10px 16px; min-width: 0; }
    .avatar { position: relative; display: inline-flex; }
    .dot { position: absolute; right: 0; bottom: 0; width: 12px; height: 12px; border-radius: 50%;
      background: var(--iris-online-dot); box-shadow: 0 0 0 2px var(--mat-sys-surface); }
    .text { flex: 1 1 140px; min-width: 0; display: flex; flex-direction: column; gap: 2px; }
    .name { font: var(--mat-sys-title-small); color: var(--mat-sys-on-surface);
      overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    .sub { display: flex; flex-wrap: wrap; column-gap: 6px; font: var(--mat-sys-body-small); color: var(--mat-sys-on-surface-variant); min-width: 0; }
    .username, .detail { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; max-width: 100%; }
    .online { color: var(--iris-online); font-weight: 500; }
    .online::before, .detail::before { content: '·'; margin-right: 6px; color: var(--mat-sys-on-surface-variant); }
    .actions { display: flex; flex-wrap: wrap; align-items: center; justify-content: flex-end; gap: 4px; margin-left: auto; }
    .actions:empty { display: none; }
  `,
})
export class PersonRow {
  readonly name = input.required<string>();
  readonly username = input.required<string>();
  /** A status message, or what the row is about ("wants to be your friend"). */
  readonly detail = input<string | null | undefined>();
  readonly online = input(false);
  /** Whose picture to show; initials without one. */
  readonly user = input<AvatarOwner | null>(null);
}
