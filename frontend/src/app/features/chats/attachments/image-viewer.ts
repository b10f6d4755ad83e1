import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MAT_DIALOG_DATA, MatDialogModule } from '@angular/material/dialog';
import { MatProgressSpinnerModule } from '@angular/material/progress-spinner';
import { fileSize } from '../../../shared/file-size';
import { Icon } from '../../../shared/icon';
import { saveBlob, type ShownAttachment } from './attachment-files';
import { attachmentUrl } from './attachment-url';

export interface ImageViewerData {
  attachment: ShownAttachment;
  keep: boolean;
}

/** An image at full size, in a dialog (Esc or Close closes it), with a download. */
@Component({
  selector: 'app-image-viewer',
  imports: [Icon, MatButtonModule, MatDialogModule, MatProgressSpinnerModule],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <div class="bar">
      <h2 class="title" mat-dialog-title>{{ data.attachment.name }}</h2>
      <span class="size">{{ size }}</span>
      <button mat-icon-button type="button" [disabled]="!file.blob()" (click)="download()" [attr.aria-label]="'Download ' + data.attachment.name">
        <app-icon name="download" />
      </button>
      <button mat-icon-button type="button" mat-dialog-close aria-label="Close">
        <app-icon name="close" />
      </button>
    </div>
    <div class="stage">
      @if (file.url(); as url) {
        <img [src]="url" [alt]="data.attachment.name" data-testid="full-image" />
      } @else if (file.failed()) {
        <p class="error" role="alert">
          The image could not be loaded.
          <button mat-button type="button" (click)="file.retry()">Try again</button>
        </p>
      } @else {
        <mat-progress-spinner mode="indeterminate" diameter="40" aria-label="Loading the image" />
      }
    </div>
  `,
  styles: `
    :host { display: flex; flex-direction: column; max-height: 94dvh; }
    .bar { display: flex; align-items: center; gap: 4px; padding: 4px 4px 4px 16px; }
    .title { flex: 1; min-width: 0; margin: 0; padding: 0; font: var(--mat-sys-title-medium); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    .title::before { display: none; }
    .size { flex: none; font: var(--mat-sys-label-medium); color: var(--mat-sys-on-surface-variant); }
    .stage { display: flex; align-items: center; justify-content: center; min-height: 160px; min-width: min(320px, 90vw); padding: 0 8px 8px; overflow: auto; }
    img { display: block; max-width: 100%; max-height: calc(94dvh - 72px); object-fit: contain; border-radius: 4px; }
    .error { color: var(--mat-sys-error); font: var(--mat-sys-body-medium); text-align: center; }
  `,
})
export class ImageViewer {
  protected readonly data = inject<ImageViewerData>(MAT_DIALOG_DATA);
  protected readonly file = attachmentUrl(() => ({ attachment: this.data.attachment, variant: 'original', keep: this.data.keep }));
  protected readonly size = fileSize(this.data.attachment.size);

  protected download(): void {
    const blob = this.file.blob();
    if (blob) saveBlob(blob, this.data.attachment.name);
  }
}
