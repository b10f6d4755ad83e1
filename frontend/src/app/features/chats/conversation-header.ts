import { ChangeDetectionStrategy, Component, input, output } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { RouterLink } from '@angular/router';
import { Avatar } from '../../shared/avatar';
import type { AvatarOwner } from '../../shared/avatar-images';
import { Icon } from '../../shared/icon';
import { describeTimer, durationShort, type TimerSetting } from './expiry';
import { PeerVerification } from './peer-verification';

/** The conversation's top bar: back to the list, the peer, whether they type, its encryption and the chat's timer. */
@Component({
  selector: 'header[app-conversation-header]',
  imports: [Avatar, Icon, MatButtonModule, PeerVerification, RouterLink],
  changeDetection: ChangeDetectionStrategy.OnPush,
  host: { class: 'head' },
  template: `
    <a mat-button class="back" routerLink="/chats" aria-label="Back to chats">‹<span class="back-text"> Chats</span></a>
    <app-avatar [name]="avatarName()" [user]="peer()" size="small" />
    <div class="who">
      <h1 class="name">{{ name() }}</h1>
      @if (typing()) {
        <span class="typing" data-testid="typing" aria-live="polite">typing…</span>
      } @else if (encrypted() === true) {
        <span class="e2ee" data-testid="encryption-state" title="Only you and the people in this chat can read its messages and files">
          <app-icon name="lock" />End-to-end encrypted
        </span>
      } @else if (encrypted() === false) {
        <span class="e2ee off" data-testid="encryption-state"><app-icon name="lock-open" />Not encrypted</span>
      }
    </div>
    @if (encrypted() === true && peerId(); as id) {
      <app-peer-verification [userId]="id" [name]="name()" />
    }
    @if (encrypted() === false && canEncrypt()) {
      <button mat-stroked-button type="button" class="encrypt" [disabled]="turningOn()" (click)="encryptionOn.emit()" aria-label="Turn on encryption">
        <app-icon name="lock" /><span class="encrypt-label">Turn on encryption</span>
      </button>
    }
    @if (timer(); as timer) {
      <button
        mat-button
        type="button"
        class="timer-chip"
        data-testid="default-timer"
        [class.on]="timer.seconds !== null"
        [title]="'Disappearing messages: ' + describeTimer(timer)"
        [attr.aria-expanded]="pickerOpen()"
        (click)="timerToggle.emit()"
      >
        <app-icon [name]="timer.seconds === null ? 'timer-off' : 'timer'" />
        <span class="sr-only">Disappearing messages: </span>
        @if (timer.seconds !== null) {
          <span class="chip-text">{{ durationShort(timer.seconds) }}{{ timer.mode === 'afterRead' ? ' after read' : '' }}</span>
        } @else {
          <span class="sr-only">off</span>
        }
      </button>
    }
    <ng-content />
  `,
  styles: `
    :host { display: flex; align-items: center; gap: 8px; padding: 8px; border-bottom: 1px solid var(--mat-sys-outline-variant); }
    /* Never wider than the screen, whatever its actions: the name gives way first, then the timer's words. */
    :host { min-width: 0; overflow: hidden; }
    .who { flex: 1 1 auto; }
    .back { flex: none; white-space: nowrap; }
    @media (max-width: 599px) {
      .back { min-width: 40px; padding: 0 8px; }
      .back-text { display: none; }
      .timer-chip .chip-text { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
    }
    .who { display: flex; flex-direction: column; min-width: 0; }
    /* Beside the chat list (chats-layout.ts) there is nothing to go back to. */
    @media (min-width: 1024px) { .back { display: none; } :host { padding-left: 16px; } }
    .name { margin: 0; font: var(--mat-sys-title-medium); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    .typing { font: var(--mat-sys-label-medium); color: var(--mat-sys-primary); }
    .e2ee { display: inline-flex; align-items: center; gap: 4px; --icon-size: 14px; font: var(--mat-sys-label-medium); color: var(--mat-sys-on-surface-variant);
      white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
    .e2ee.off { color: var(--mat-sys-error); }
    .encrypt { flex: none; margin-left: auto; min-width: 0; --icon-size: 18px; }
    .encrypt-label { margin-left: 6px; }
    /* A phone keeps the one-tap action as a lock icon (its name stays for screen readers). */
    @media (max-width: 599px) {
      .encrypt { padding: 0 10px; }
      .encrypt-label { display: none; }
    }
    .encrypt + .timer-chip { margin-left: 0; }
    .timer-chip { margin-left: auto; flex: none; --icon-size: 18px; color: var(--mat-sys-on-surface-variant); }
    .timer-chip.on { color: var(--mat-sys-primary); }
    .timer-chip .chip-text { margin-left: 4px; }
    .sr-only { position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden; clip-path: inset(50%); white-space: nowrap; border: 0; }
  `,
})
export class ConversationHeader {
  /** The peer's name as shown ("Deleted user" once they are gone); empty while loading. */
  readonly name = input('');
  /** The name the avatar's initials come from. */
  readonly avatarName = input<string | null | undefined>(undefined);
  /** The peer, for their picture (null when they are gone). */
  readonly peer = input<AvatarOwner | null>(null);
  readonly typing = input(false);
  /** The chat's default timer; null hides the chip until the conversation is loaded. */
  readonly timer = input<TimerSetting | null>(null);
  /** End-to-end encrypted; null hides the label until the conversation is loaded. */
  readonly encrypted = input<boolean | null>(null);
  /** The peer's user id, for verifying them (null when they are gone). */
  readonly peerId = input<string | null>(null);
  /** Whether encryption can be turned on here (not when the peer is gone). */
  readonly canEncrypt = input(true);
  readonly turningOn = input(false);
  readonly encryptionOn = output();
  /** The timer picker is open on the chat's default. */
  readonly pickerOpen = input(false);
  readonly timerToggle = output();

  protected readonly describeTimer = describeTimer;
  protected readonly durationShort = durationShort;
}
