import { ChangeDetectionStrategy, Component, input } from '@angular/core';
import type { TrustNotice } from '../../core/crypto/trust-notices';
import { shortTime } from '../../shared/short-time';
import type { ShownMessage } from './shown-message';

/** Where the notices go among the messages: before the first message after them, or after the last. */
export interface PlacedNotices {
  /** By the `clientId` of the message each group comes before. */
  before: ReadonlyMap<string, readonly TrustNotice[]>;
  after: readonly TrustNotice[];
}

/**
 * Places a conversation's trust notices in its history by time. While older messages are still to
 * load, a notice from before the first loaded one waits until they are.
 */
export function placeTrustNotices(messages: readonly ShownMessage[], notices: readonly TrustNotice[], hasOlder: boolean): PlacedNotices {
  const before = new Map<string, TrustNotice[]>();
  const after: TrustNotice[] = [];
  const first = messages[0]?.message.createdAt;
  for (const notice of notices) {
    if (hasOlder && first !== undefined && notice.at < first) continue;
    const next = messages.find((entry) => entry.message.createdAt > notice.at);
    if (!next) after.push(notice);
    else before.set(next.message.clientId, [...(before.get(next.message.clientId) ?? []), notice]);
  }
  return { before, after };
}

/** One line in the history about the contact's identity: it was verified here, or it changed. */
@Component({
  selector: 'li[app-trust-notice]',
  changeDetection: ChangeDetectionStrategy.OnPush,
  host: { 'data-testid': 'trust-notice', '[class.warn]': "notice().kind === 'identity-changed'" },
  template: `
    @if (notice().kind === 'verified') {
      ✓ You verified {{ name() }}
    } @else {
      {{ name() }}’s identity changed. If you did not expect it, verify them again.
    }
    <time [attr.datetime]="notice().at">{{ when() }}</time>
  `,
  styles: `
    :host { align-self: center; max-width: 90%; margin: 4px 0; padding: 2px 12px; border-radius: 999px; text-align: center;
      font: var(--mat-sys-label-medium); background: var(--mat-sys-surface-container); color: var(--mat-sys-on-surface-variant); }
    :host(.warn) { background: var(--mat-sys-error-container); color: var(--mat-sys-on-error-container); }
    time { margin-left: 6px; }
  `,
})
export class TrustNoticeItem {
  readonly notice = input.required<TrustNotice>();
  /** The contact's name as the conversation shows it. */
  readonly name = input('');

  protected when(): string {
    return shortTime(this.notice().at);
  }
}
