import { ChangeDetectionStrategy, Component, computed, DestroyRef, inject, input } from '@angular/core';
import { Icon } from '../../shared/icon';
import { Ticker } from '../../shared/ticker';
import { durationLong, durationShort, remainingLong, remainingShort } from './expiry';

/**
 * The timer of a disappearing message: the time left, counting down each second from the page's one
 * `Ticker`; or, for an `afterRead` message nobody has read yet, that its clock starts when it is read.
 */
@Component({
  selector: 'app-countdown',
  imports: [Icon],
  changeDetection: ChangeDetectionStrategy.OnPush,
  host: { 'data-testid': 'countdown', '[attr.aria-label]': 'label()', role: 'timer', '[title]': 'label()' },
  template: `
    <app-icon [name]="expiresAt() ? 'timer' : 'hourglass'" />
    <span class="text">{{ text() }}</span>
  `,
  styles: `
    :host { display: inline-flex; align-items: center; gap: 2px; --icon-size: 14px; font-variant-numeric: tabular-nums; white-space: nowrap; }
  `,
})
export class Countdown {
  readonly expiresAt = input<string | null>(null);
  readonly expiresInSeconds = input.required<number>();
  private readonly ticker = inject(Ticker);

  private readonly remainingMs = computed(() => {
    const at = this.expiresAt();
    return at === null ? null : Math.max(0, Date.parse(at) - this.ticker.now());
  });
  protected readonly text = computed(() => {
    const remaining = this.remainingMs();
    return remaining === null ? `${durationShort(this.expiresInSeconds())} after read` : remainingShort(remaining);
  });
  protected readonly label = computed(() => {
    const remaining = this.remainingMs();
    if (remaining !== null) return `Disappears in ${remainingLong(remaining)}`;
    return `Disappears ${durationLong(this.expiresInSeconds())} after it is read`;
  });

  constructor() {
    this.ticker.watch(inject(DestroyRef));
  }
}
