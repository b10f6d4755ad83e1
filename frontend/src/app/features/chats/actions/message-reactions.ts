import { ChangeDetectionStrategy, Component, input, output } from '@angular/core';
import type { ReactionGroup } from '../timeline';

/**
 * The reactions under a message, one chip per emoji with its count; the label and tooltip say who
 * reacted. A click on an emoji you reacted with removes your reaction, on another adds it. The chips
 * stay out of the Tab order (the message's menu offers the same from the keyboard).
 */
@Component({
  selector: 'app-message-reactions',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @for (group of groups(); track group.key) {
      <button
        type="button"
        class="reaction"
        tabindex="-1"
        data-testid="reaction"
        [class.mine]="group.reacted"
        [attr.aria-pressed]="group.reacted"
        [attr.aria-label]="label(group)"
        [title]="group.names.join(', ')"
        (click)="toggle.emit(group)"
      >
        <span aria-hidden="true">{{ group.key }}</span>
        <span class="count" aria-hidden="true">{{ group.count }}</span>
      </button>
    }
  `,
  styles: `
    :host { display: flex; flex-wrap: wrap; gap: 4px; margin-top: -4px; padding: 0 8px; }
    .reaction { display: inline-flex; align-items: center; gap: 4px; padding: 1px 8px; border-radius: 12px; cursor: pointer;
      border: 1px solid var(--mat-sys-outline-variant); background: var(--mat-sys-surface-container); color: var(--mat-sys-on-surface); font: var(--mat-sys-label-large); }
    .reaction.mine { border-color: var(--mat-sys-primary); background: var(--mat-sys-secondary-container); color: var(--mat-sys-on-secondary-container); }
    .count { font: var(--mat-sys-label-medium); }
  `,
})
export class MessageReactions {
  readonly groups = input.required<readonly ReactionGroup[]>();
  /** Add (not yet yours) or remove (yours) this emoji. */
  readonly toggle = output<ReactionGroup>();

  protected label(group: ReactionGroup): string {
    const who = `${group.key} ${group.count}: ${group.names.join(', ')}`;
    return group.reacted ? `${who}. Remove your reaction` : `${who}. React with ${group.key}`;
  }
}
