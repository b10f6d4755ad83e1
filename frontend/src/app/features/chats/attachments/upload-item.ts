import { ChangeDetectionStrategy, Component, computed, effect, input, output, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { fileSize } from '../../../shared/file-size';
import { Icon, type IconName } from '../../../shared/icon';
import type { Upload } from './uploads-store';

const KIND_ICONS: Record<Upload['kind'], IconName> = { image: 'image', video: 'movie', audio: 'audio', file: 'file', encrypted: 'file' };

/** A file being uploaded: a preview (images) or its kind, name, size, a progress bar, and cancel/remove and retry. */
@Component({
  selector: 'app-upload-item',
  imports: [Icon, MatButtonModule, MatProgressBarModule],
  changeDetection: ChangeDetectionStrategy.OnPush,
  host: {
    'data-testid': 'upload',
    '[class.failed]': "upload().state() === 'failed'",
    '(window:beforeunload)': 'holdPage($event)',
  },
  template: `
    @let item = upload();
    <div class="preview" aria-hidden="true">
      @if (preview(); as url) {
        <img [src]="url" alt="" />
      } @else {
        <app-icon [name]="icon()" />
      }
    </div>
    <div class="text">
      <span class="name">{{ item.name }}</span>
      <span class="status" [attr.role]="item.state() === 'failed' ? 'alert' : null">{{ status() }}</span>
      @if (item.active()) {
        <mat-progress-bar
          [mode]="item.state() === 'queued' || item.processing() ? 'indeterminate' : 'determinate'"
          [value]="item.percent()"
          [attr.aria-label]="'Uploading ' + item.name"
        />
      }
    </div>
    <!-- In a message on its way, the message's own Retry uploads again. -->
    @if (item.state() === 'failed' && action() === 'remove') {
      <button mat-icon-button type="button" (click)="item.retry()" [attr.aria-label]="'Retry uploading ' + item.name">
        <app-icon name="refresh" />
      </button>
    }
    <button mat-icon-button type="button" (click)="removed.emit()" [attr.aria-label]="removeLabel()">
      <app-icon name="close" />
    </button>
  `,
  styles: `
    :host { display: flex; align-items: center; gap: 8px; min-width: 0; padding: 4px; border-radius: 12px;
      background: var(--mat-sys-surface-container-high); color: var(--mat-sys-on-surface); }
    .preview { flex: none; width: 44px; height: 44px; border-radius: 8px; overflow: hidden; display: flex; align-items: center; justify-content: center;
      background: var(--mat-sys-surface-container-highest); color: var(--mat-sys-primary); }
    .preview img { width: 100%; height: 100%; object-fit: cover; }
    .text { flex: 1; min-width: 0; display: flex; flex-direction: column; gap: 2px; }
    .name { font: var(--mat-sys-body-medium); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    .status { font: var(--mat-sys-label-small); color: var(--mat-sys-on-surface-variant); }
    :host(.failed) .status { color: var(--mat-sys-error); }
    mat-progress-bar { margin-top: 2px; }
  `,
})
export class UploadItem {
  readonly upload = input.required<Upload>();
  /** "remove" in the composer; "cancel" in a message on its way. */
  readonly action = input<'remove' | 'cancel'>('remove');
  readonly removed = output<void>();
  protected readonly preview = signal<string | null>(null);
  protected readonly icon = computed(() => KIND_ICONS[this.upload().kind]);
  protected readonly removeLabel = computed(() => {
    const upload = this.upload();
    if (this.action() === 'cancel') return `Cancel sending ${upload.name}`;
    return upload.active() ? `Cancel upload of ${upload.name}` : `Remove ${upload.name}`;
  });
  protected readonly status = computed(() => {
    const upload = this.upload();
    const size = fileSize(upload.size);
    switch (upload.state()) {
      case 'queued':
        return `${size} · Waiting…`;
      case 'uploading':
        return upload.processing() ? `${size} · Processing…` : `${size} · ${upload.percent()}%`;
      case 'failed':
        return upload.error() ?? 'Upload failed.';
      case 'cancelled':
        return `${size} · Cancelled`;
      default:
        return `${size} · Uploaded`;
    }
  });

  /** Leaving the page would lose an upload on its way: the browser asks first. */
  protected holdPage(event: BeforeUnloadEvent): void {
    if (this.upload().active()) event.preventDefault();
  }

  constructor() {
    // The picked image itself as its preview, for as long as the item is shown.
    effect((onCleanup) => {
      const upload = this.upload();
      if (upload.kind !== 'image') return;
      const url = URL.createObjectURL(upload.file);
      this.preview.set(url);
      onCleanup(() => URL.revokeObjectURL(url));
    });
  }
}
