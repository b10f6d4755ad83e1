import { ChangeDetectionStrategy, Component } from '@angular/core';
import { Icon } from '../../shared/icon';

/** The second pane while no conversation is open (shown only where the panes sit side by side). */
@Component({
  selector: 'app-no-chat-open',
  imports: [Icon],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <app-icon name="chat" />
    <p class="headline">Pick a chat</p>
    <p>Choose a conversation on the left, or press <kbd>Alt</kbd>+<kbd>↓</kbd> to open the first one.</p>
  `,
  styles: `
    :host { flex: 1; display: flex; flex-direction: column; align-items: center; justify-content: center; gap: 8px; padding: 24px;
      text-align: center; color: var(--mat-sys-on-surface-variant); font: var(--mat-sys-body-medium); --icon-size: 48px; }
    p { margin: 0; max-width: 28em; }
    .headline { font: var(--mat-sys-title-medium); color: var(--mat-sys-on-surface); }
    kbd { font: var(--mat-sys-label-medium); padding: 1px 5px; border-radius: 4px; border: 1px solid var(--mat-sys-outline-variant);
      background: var(--mat-sys-surface-container); }
  `,
})
export class NoChatOpen {}
