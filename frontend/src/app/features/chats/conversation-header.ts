import { ChangeDetectionStrategy, Component, input, output } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { RouterLink } from '@angular/router';
import { Avatar } from '../../shared/avatar';
import { Icon } from '../../shared/icon';
import { describeTimer, durationShort, type TimerSetting } from './expiry';

/** The conversation's top bar: back to the list, the peer, whether they type, and the chat's timer. */
@Component({
  selector: 'header[app-conversation-header]',
  imports: [Avatar, Icon, MatButtonModule, RouterLink],
  changeDetection: ChangeDetectionStrategy.OnPush,
  host: { class: 'head' },
  template: `
    <a mat-button routerLink="/chats" aria-label="Back to chats">‹ Chats</a>
    <app-avatar [name]="avatarName()" size="small" />
    <div class="who">
      <h1 class="name">{{ name() }}</h1>
      @if (typing()) {
        <span class="typing" data-testid="typing" aria-live="polite">typing…</span>
      }
    </div>
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
  `,
  styles: `
    :host { display: flex; align-items: center; gap: 8px; padding: 8px; border-bottom: 1px solid var(--mat-sys-outline-variant); }
    .who { display: flex; flex-direction: column; min-width: 0; }
    .name { margin: 0; font: var(--mat-sys-title-medium); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    .typing { font: var(--mat-sys-label-medium); color: var(--mat-sys-primary); }
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
  readonly typing = input(false);
  /** The chat's default timer; null hides the chip until the conversation is loaded. */
  readonly timer = input<TimerSetting | null>(null);
  /** The timer picker is open on the chat's default. */
  readonly pickerOpen = input(false);
  readonly timerToggle = output();

  protected readonly describeTimer = describeTimer;
  protected readonly durationShort = durationShort;
}
