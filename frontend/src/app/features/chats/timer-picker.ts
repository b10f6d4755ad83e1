import { ChangeDetectionStrategy, Component, type ElementRef, input, output, viewChild, afterNextRender } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { Icon } from '../../shared/icon';
import { type ExpiryMode, TIMER_CHOICES, type TimerSetting } from './expiry';

export type TimerScope = 'message' | 'default';

let nextId = 0;

/**
 * Chooses a disappearing-message timer and when its clock starts, either for the next message or as the
 * conversation's default. Presentational: it shows `value` and emits what the user picked.
 */
@Component({
  selector: 'app-timer-picker',
  imports: [Icon, MatButtonModule],
  changeDetection: ChangeDetectionStrategy.OnPush,
  host: { role: 'group', '[attr.aria-labelledby]': 'id + "-title"', '(keydown.escape)': 'closed.emit()', 'data-testid': 'timer-picker' },
  template: `
    <div class="top">
      <h2 class="title" [id]="id + '-title'">Disappearing messages</h2>
      <button mat-icon-button type="button" aria-label="Close timer settings" (click)="closed.emit()"><app-icon name="close" /></button>
    </div>
    <fieldset class="row">
      <legend>Set for</legend>
      <div class="options">
        @for (option of scopes; track option.value) {
          <label class="option">
            <input type="radio" [name]="id + '-scope'" [value]="option.value" [checked]="scope() === option.value" (change)="scopeChange.emit(option.value)" />
            <span>{{ option.label }}</span>
          </label>
        }
      </div>
    </fieldset>
    <p class="hint">
      @if (scope() === 'message') {
        Only the next message you send. The chat default stays as it is.
      } @else {
        New messages from both of you in this chat, unless one sets its own timer.
      }
    </p>
    <fieldset #timers class="row" [disabled]="busy()">
      <legend>Timer</legend>
      <div class="options">
        @for (choice of choices; track choice.short) {
          <label class="option">
            <input type="radio" [name]="id + '-timer'" [checked]="value().seconds === choice.seconds" (change)="pick(choice.seconds, value().mode)" />
            <span>{{ choice.short }}</span>
          </label>
        }
      </div>
    </fieldset>
    <fieldset class="row" [disabled]="busy()">
      <legend>Clock starts</legend>
      <div class="options">
        @for (option of modes; track option.value) {
          <label class="option">
            <input type="radio" [name]="id + '-mode'" [checked]="value().mode === option.value" (change)="pick(value().seconds, option.value)" />
            <span>{{ option.label }}</span>
          </label>
        }
      </div>
    </fieldset>
  `,
  styles: `
    :host { display: flex; flex-direction: column; gap: 6px; padding: 8px 12px 12px; border-top: 1px solid var(--mat-sys-outline-variant);
      background: var(--mat-sys-surface-container); color: var(--mat-sys-on-surface); }
    .top { display: flex; align-items: center; justify-content: space-between; }
    .title { margin: 0; font: var(--mat-sys-title-small); }
    .row { border: 0; margin: 0; padding: 0; min-width: 0; }
    .row[disabled] { opacity: 0.6; }
    legend { padding: 0; margin-bottom: 4px; font: var(--mat-sys-label-medium); color: var(--mat-sys-on-surface-variant); }
    .options { display: flex; flex-wrap: wrap; gap: 6px; }
    .option { position: relative; display: inline-flex; }
    .option input { position: absolute; inset: 0; margin: 0; opacity: 0; cursor: pointer; }
    .option span { display: inline-flex; align-items: center; min-height: 32px; padding: 0 12px; border-radius: 8px; box-sizing: border-box;
      border: 1px solid var(--mat-sys-outline); font: var(--mat-sys-label-large); color: var(--mat-sys-on-surface-variant); }
    .option input:checked + span { background: var(--mat-sys-secondary-container); color: var(--mat-sys-on-secondary-container); border-color: transparent; }
    .option input:focus-visible + span { outline: 2px solid var(--mat-sys-primary); outline-offset: 2px; }
    .option input:disabled { cursor: default; }
    .hint { margin: 0; font: var(--mat-sys-body-small); color: var(--mat-sys-on-surface-variant); }
  `,
})
export class TimerPicker {
  readonly scope = input.required<TimerScope>();
  readonly value = input.required<TimerSetting>();
  /** While a change of the default is being saved. */
  readonly busy = input(false);
  readonly picked = output<TimerSetting>();
  readonly scopeChange = output<TimerScope>();
  readonly closed = output<void>();

  protected readonly id = `timer-picker-${nextId++}`;
  protected readonly choices = TIMER_CHOICES;
  protected readonly scopes: { value: TimerScope; label: string }[] = [
    { value: 'message', label: 'Next message' },
    { value: 'default', label: 'This chat' },
  ];
  protected readonly modes: { value: ExpiryMode; label: string }[] = [
    { value: 'afterSend', label: 'When sent' },
    { value: 'afterRead', label: 'When read' },
  ];
  private readonly timers = viewChild<ElementRef<HTMLFieldSetElement>>('timers');

  constructor() {
    // Opening the picker moves the focus into it, onto the chosen timer.
    afterNextRender(() => {
      const fieldset = this.timers()?.nativeElement;
      (fieldset?.querySelector<HTMLInputElement>('input:checked') ?? fieldset?.querySelector<HTMLInputElement>('input'))?.focus();
    });
  }

  protected pick(seconds: number | null, mode: ExpiryMode): void {
    this.picked.emit({ seconds, mode });
  }
}
