import { ChangeDetectionStrategy, Component, computed, effect, inject, input, output } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { isEncryptedAttachment } from '../../core/crypto/message-content';
import { shortTime } from '../../shared/short-time';
import { encryptedAttachment, type ShownAttachment } from './attachments/attachment-files';
import { MessageAttachments } from './attachments/message-attachments';
import { PendingUploads } from './attachments/pending-uploads';
import type { ShownMessage } from './shown-message';
import { Countdown } from './countdown';
import { MessageDecryptor } from './message-decryptor';
import { contentPreview } from './message-preview';

/** One message in the history: its bubble, its state, and the actions on your own sent messages. */
@Component({
  selector: 'li[app-message-item]',
  imports: [Countdown, MatButtonModule, MessageAttachments, PendingUploads],
  changeDetection: ChangeDetectionStrategy.OnPush,
  host: { class: 'row', '[class.mine]': 'mine()', 'data-testid': 'message' },
  template: `
    @let message = entry().message;
    @let state = entry().state;
    @let shown = content();
    <div class="bubble" [class.deleted]="message.deleted" [class.pending]="state === 'pending'">
      @if (message.deleted) {
        <span class="body muted">Message deleted</span>
      } @else if (shown.kind === 'undecryptable') {
        <span class="body muted" data-testid="undecryptable">{{ shown.message }}</span>
      } @else if (shown.kind === 'decrypting') {
        <span class="body muted" data-testid="decrypting">Decrypting…</span>
      } @else {
        @if (entry().uploads?.length) {
          <app-pending-uploads [uploads]="entry().uploads!" (cancelled)="uploadsCancelled.emit()" />
        } @else if (attachments().length) {
          <app-message-attachments [attachments]="attachments()" [keep]="message.expiresInSeconds === null" />
        }
        @if (shown.content.body) {
          <span class="body">{{ shown.content.body }}</span>
        }
      }
      <span class="meta">
        @if (message.expiresInSeconds !== null && state === 'sent' && !message.deleted) {
          <app-countdown [expiresAt]="message.expiresAt" [expiresInSeconds]="message.expiresInSeconds" />
        }
        @if (message.editedAt && !message.deleted) {
          <span class="edited">edited</span>
        }
        @if (state === 'pending') {
          <span>Sending…</span>
        } @else {
          <time [attr.datetime]="message.createdAt">{{ time() }}</time>
        }
      </span>
    </div>
    @if (state === 'failed') {
      <div class="failed" role="alert">
        Not sent.
        <button mat-button type="button" (click)="retry.emit()">Retry</button>
      </div>
    }
    @if (mine() && state === 'sent' && !message.deleted) {
      <div class="actions">
        @if (shown.kind === 'ok') {
          <button mat-button type="button" (click)="edit.emit(body())" [attr.aria-label]="'Edit message: ' + summary()">Edit</button>
        }
        <button mat-button type="button" (click)="remove.emit()" [attr.aria-label]="'Delete message: ' + summary()">Delete</button>
      </div>
    }
    @if (seen()) {
      <div class="seen" data-testid="seen">Seen</div>
    }
  `,
  styles: `
    :host { display: flex; flex-direction: column; align-items: flex-start; }
    :host(.mine) { align-items: flex-end; }
    .bubble { max-width: min(75%, 560px); padding: 8px 12px; border-radius: 16px; display: flex; flex-direction: column; gap: 2px;
      background: var(--mat-sys-surface-container-high); color: var(--mat-sys-on-surface); overflow-wrap: anywhere; }
    :host(.mine) .bubble { background: var(--mat-sys-primary-container); color: var(--mat-sys-on-primary-container); }
    .bubble.pending { opacity: 0.7; }
    .body { white-space: pre-wrap; font: var(--mat-sys-body-large); }
    .muted { font-style: italic; color: var(--mat-sys-on-surface-variant); }
    .meta { display: flex; gap: 6px; justify-content: flex-end; font: var(--mat-sys-label-small); color: var(--mat-sys-on-surface-variant); }
    .actions { display: flex; gap: 0; }
    .actions button { --mat-button-text-label-text-size: 12px; min-width: 0; }
    .seen { font: var(--mat-sys-label-small); color: var(--mat-sys-on-surface-variant); padding-right: 4px; }
    .failed { color: var(--mat-sys-error); font: var(--mat-sys-label-medium); }
  `,
})
export class MessageItem {
  readonly entry = input.required<ShownMessage>();
  /** Sent by the signed-in user. */
  readonly mine = input(false);
  /** The newest of your messages the peer has read. */
  readonly seen = input(false);
  readonly retry = output();
  /** Edit, with the text as it is now. */
  readonly edit = output<string>();
  readonly remove = output();
  /** The user cancelled the files of an unsent message. */
  readonly uploadsCancelled = output();

  private readonly decryptor = inject(MessageDecryptor);
  /** What it says: a plaintext message as it is, an encrypted one once decrypted (or why it cannot be). */
  protected readonly content = computed(() => this.decryptor.contentOf(this.entry().message));
  protected readonly body = computed(() => {
    const shown = this.content();
    return shown.kind === 'ok' ? (shown.content.body ?? '') : '';
  });
  /** A plaintext message's files as the server describes them; an encrypted one's from its content. */
  protected readonly attachments = computed<readonly ShownAttachment[]>(() => {
    const { message } = this.entry();
    const shown = this.content();
    if (message.ciphertext == null || shown.kind !== 'ok') return message.attachments;
    return (shown.content.attachments ?? []).filter(isEncryptedAttachment).map((info) => encryptedAttachment(info, message.createdAt));
  });
  /** The message in a few words, for labels (its text, or its attachments). */
  protected readonly summary = computed(() => {
    const shown = this.content();
    if (shown.kind !== 'ok') return shown.kind === 'undecryptable' ? shown.message : 'Encrypted message';
    return shown.content.body ?? contentPreview(shown.content);
  });

  constructor() {
    effect(() => this.decryptor.request([this.entry().message]));
  }
  protected readonly time = computed(() => shortTime(this.entry().message.createdAt));
}
