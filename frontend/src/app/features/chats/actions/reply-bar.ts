import { ChangeDetectionStrategy, Component, computed, effect, inject, input, output } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { Icon } from '../../../shared/icon';
import { MessageDecryptor } from '../message-decryptor';
import type { ShownMessage } from '../shown-message';
import { quoteText } from './reply-quote';

/** Above the composer while writing a reply: what it answers, and a button to write a plain message instead. */
@Component({
  selector: 'app-reply-bar',
  imports: [Icon, MatButtonModule],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @let quote = text();
    <div class="quote" data-testid="reply-bar">
      <span class="sender">Replying to {{ quote.sender ?? 'a message' }}</span>
      <span class="text" dir="auto">{{ quote.text }}</span>
    </div>
    <button mat-icon-button type="button" aria-label="Cancel reply" (click)="cancel.emit()"><app-icon name="close" /></button>
  `,
  styles: `
    :host { display: flex; align-items: center; gap: 8px; padding: 4px 8px 0 16px; }
    .quote { flex: 1; min-width: 0; display: flex; flex-direction: column; padding: 4px 8px; border-inline-start: 3px solid var(--mat-sys-primary);
      background: var(--mat-sys-surface-container); border-radius: 4px; }
    .sender { font: var(--mat-sys-label-medium); color: var(--mat-sys-primary); }
    .text { font: var(--mat-sys-body-medium); color: var(--mat-sys-on-surface-variant); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  `,
})
export class ReplyBar {
  readonly target = input.required<ShownMessage>();
  readonly nameOf = input.required<(senderId: string) => string>();
  readonly cancel = output();

  private readonly decryptor = inject(MessageDecryptor);
  protected readonly text = computed(() => quoteText(this.target(), this.decryptor.contentOf(this.target().message), this.nameOf()));

  constructor() {
    effect(() => this.decryptor.request([this.target().message]));
  }
}
