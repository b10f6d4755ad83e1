import { DOCUMENT } from '@angular/common';
import { HttpClient } from '@angular/common/http';
import { ChangeDetectionStrategy, Component, computed, DestroyRef, inject, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { Api } from '../../../sdk/api';
import { describeError } from '../../core/api-errors';
import { AuthStore } from '../../core/auth-store';
import { DeviceCrypto } from '../../core/crypto/device-crypto';
import { Icon } from '../../shared/icon';
import type { AttachmentCipher } from '../../core/crypto/attachment-cipher';
import type { ExportProgress } from './conversations-exporter';
import { saveFile } from './save-file';

type Outcome = { kind: 'saved'; fileName: string; summary: string } | { kind: 'cancelled' } | { kind: 'failed'; message: string };

/**
 * "Export my conversations": a zip made on this device, with what it can decrypt and every file. The
 * exporter (and its zip writer) load only when the button is pressed; nothing of it is kept but the
 * downloaded file.
 */
@Component({
  selector: 'app-conversations-export',
  imports: [MatButtonModule, MatProgressBarModule, Icon],
  changeDetection: ChangeDetectionStrategy.OnPush,
  styleUrl: './settings-section.scss',
  template: `
    <section class="card" aria-labelledby="conversations-export-title" [attr.aria-busy]="running()">
      <h2 id="conversations-export-title">Export my conversations</h2>
      <p class="text">
        Download a zip of your conversations, made here on this device: encrypted messages are decrypted with this
        device's keys, and every file is included, decrypted. Messages this device cannot read (such as those sent
        before it signed in) are listed with the reason instead. The server never sees the result, and the zip itself
        is not encrypted: keep it safe.
      </p>
      @if (progress(); as current) {
        <mat-progress-bar
          [mode]="current.conversationsTotal ? 'determinate' : 'indeterminate'"
          [value]="percent()"
          aria-label="Exporting your conversations"
        />
        <p class="status" role="status">{{ status() }}</p>
      } @else {
        @switch (outcome()?.kind) {
          @case ('saved') {
            <p class="status" role="status">{{ savedText() }}</p>
          }
          @case ('cancelled') {
            <p class="status" role="status">Export cancelled. Nothing was saved.</p>
          }
          @case ('failed') {
            <p class="form-error" role="alert">{{ failedText() }}</p>
          }
        }
      }
      <div class="actions">
        @if (running()) {
          <button mat-button type="button" (click)="cancel()">Cancel</button>
        }
        <button mat-stroked-button type="button" (click)="export()" [disabled]="running()">
          <app-icon name="download" />
          {{ running() ? 'Exporting…' : 'Export my conversations' }}
        </button>
      </div>
    </section>
  `,
  styles: `
    .status { margin: 8px 0; font: var(--mat-sys-body-medium); color: var(--mat-sys-on-surface-variant); }
    mat-progress-bar { margin: 8px 0 0; }
    button app-icon { --icon-size: 20px; margin-right: 6px; vertical-align: middle; }
  `,
})
export class ConversationsExport {
  private readonly api = inject(Api);
  private readonly http = inject(HttpClient);
  private readonly auth = inject(AuthStore);
  private readonly device = inject(DeviceCrypto);
  private readonly document = inject(DOCUMENT);
  private controller: AbortController | null = null;

  protected readonly running = signal(false);
  protected readonly progress = signal<ExportProgress | null>(null);
  protected readonly outcome = signal<Outcome | null>(null);
  protected readonly percent = computed(() => {
    const current = this.progress();
    return current?.conversationsTotal ? Math.round((100 * current.conversationsDone) / current.conversationsTotal) : 0;
  });
  protected readonly status = computed(() => {
    const current = this.progress();
    if (!current || current.conversationsTotal === null) return 'Reading your conversation list…';
    const files = current.files + current.filesFailed;
    return `${current.conversationsDone} of ${current.conversationsTotal} conversations done, ${files} ${files === 1 ? 'file' : 'files'}`;
  });
  protected readonly savedText = computed(() => {
    const outcome = this.outcome();
    return outcome?.kind === 'saved' ? `Downloaded ${outcome.fileName}: ${outcome.summary}.` : '';
  });
  protected readonly failedText = computed(() => {
    const outcome = this.outcome();
    return outcome?.kind === 'failed' ? outcome.message : '';
  });

  constructor() {
    inject(DestroyRef).onDestroy(() => this.controller?.abort());
  }

  protected async export(): Promise<void> {
    const user = this.auth.user();
    if (this.running() || !user) return;
    const controller = new AbortController();
    this.controller = controller;
    this.running.set(true);
    this.outcome.set(null);
    this.progress.set({ conversationsTotal: null, conversationsDone: 0, messages: 0, files: 0, filesFailed: 0 });
    let cipher: AttachmentCipher | null = null;
    try {
      const [{ exportConversations, sdkExportSource }, { AttachmentCipher }] = await Promise.all([
        import('./conversations-exporter'),
        import('../../core/crypto/attachment-cipher'),
      ]);
      const files = (cipher = new AttachmentCipher());
      const crypto = await this.device.ready();
      const result = await exportConversations({
        source: sdkExportSource(this.http, this.api.rootUrl),
        crypto,
        cryptoUnavailable: this.device.error()?.message,
        decryptFile: (ciphertext, info) => files.decrypt(ciphertext, info),
        user: { id: user.id, username: user.username, displayName: user.displayName },
        device: { id: crypto?.deviceId ?? null, description: this.document.defaultView?.navigator.userAgent ?? 'a browser' },
        signal: controller.signal,
        onProgress: (progress) => this.progress.set(progress),
      });
      saveFile(this.document, result.blob, result.fileName);
      this.outcome.set({ kind: 'saved', fileName: result.fileName, summary: summaryOf(result.progress, result.undecryptable) });
    } catch (error) {
      this.outcome.set(controller.signal.aborted ? { kind: 'cancelled' } : { kind: 'failed', message: failureMessage(error) });
    } finally {
      cipher?.dispose();
      if (this.controller === controller) this.controller = null;
      this.progress.set(null);
      this.running.set(false);
    }
  }

  protected cancel(): void {
    this.controller?.abort();
  }
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

function summaryOf(progress: ExportProgress, undecryptable: number): string {
  const parts = [plural(progress.conversationsDone, 'conversation', 'conversations'), plural(progress.files, 'file', 'files')];
  if (undecryptable > 0) parts.push(`${plural(undecryptable, 'message', 'messages')} this device could not read, listed with the reason`);
  if (progress.filesFailed > 0) parts.push(`${plural(progress.filesFailed, 'file', 'files')} that could not be included, listed with the reason`);
  return parts.join(', ');
}

function failureMessage(error: unknown): string {
  if (error instanceof Error && error.name === 'ZipLimitError') return error.message + '.';
  return `The export failed: ${describeError(error)}`;
}
