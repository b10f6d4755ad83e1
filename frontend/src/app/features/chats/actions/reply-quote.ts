import { ChangeDetectionStrategy, Component, computed, effect, inject, input, output } from '@angular/core';
import { MessageDecryptor } from '../message-decryptor';
import { contentPreview } from '../../../shared/message-preview';
import type { ShownMessage } from '../shown-message';
import { excerpt } from '../timeline';

/** What a reply's quote says about its target. */
export interface QuoteText {
  sender: string | null;
  text: string;
}

/** The quote text of a reply's target: who wrote it and a short excerpt, or why it cannot be shown. */
export function quoteText(target: ShownMessage | null, shown: ReturnType<MessageDecryptor['contentOf']> | null, nameOf: (senderId: string) => string): QuoteText {
  if (!target) return { sender: null, text: 'Original message not available' };
  if (target.message.deleted) return { sender: null, text: 'Original message deleted' };
  const sender = nameOf(target.message.senderId);
  if (!shown || shown.kind === 'decrypting') return { sender, text: 'Decrypting\u2026' };
  if (shown.kind === 'undecryptable') return { sender, text: 'Encrypted message' };
  return { sender, text: excerpt(shown.content.body ?? contentPreview(shown.content)) };
}

/** The quote at the top of a reply; a click scrolls to the message it answers and highlights it. */
@Component({
  selector: 'app-reply-quote',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @let quote = text();
    <button type="button" class="quote" tabindex="-1" data-testid="reply-quote" [attr.aria-label]="'Reply to ' + (quote.sender ? quote.sender + ': ' : '') + quote.text + '. Show the original'" (click)="jump.emit()">
      @if (quote.sender) {
        <span class="sender">{{ quote.sender }}</span>
      }
      <span class="text" dir="auto">{{ quote.text }}</span>
    </button>
  `,
  styles: `
    .quote { display: flex; flex-direction: column; align-items: flex-start; gap: 0; width: 100%; text-align: start; cursor: pointer; margin-bottom: 4px;
      padding: 4px 8px; border: 0; border-inline-start: 3px solid var(--mat-sys-primary); border-radius: 4px;
      background: color-mix(in srgb, var(--mat-sys-surface) 55%, transparent); color: inherit; font: var(--mat-sys-body-medium); }
    .sender { font: var(--mat-sys-label-medium); color: var(--mat-sys-primary); }
    .text { color: var(--mat-sys-on-surface-variant); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; max-width: 100%; }
  `,
})
export class ReplyQuote {
  /** The message answered; null when it is not in the loaded history. */
  readonly target = input.required<ShownMessage | null>();
  readonly nameOf = input.required<(senderId: string) => string>();
  readonly jump = output();

  private readonly decryptor = inject(MessageDecryptor);
  protected readonly text = computed(() => {
    const target = this.target();
    return quoteText(target, target ? this.decryptor.contentOf(target.message) : null, this.nameOf());
  });

  constructor() {
    effect(() => {
      const target = this.target();
      if (target) this.decryptor.request([target.message]);
    });
  }
}
