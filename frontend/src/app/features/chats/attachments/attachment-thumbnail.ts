import { ChangeDetectionStrategy, Component, computed, DestroyRef, inject, input } from '@angular/core';
import { MatDialog, type MatDialogRef } from '@angular/material/dialog';
import { Icon } from '../../../shared/icon';
import { attachmentUrl } from './attachment-url';
import { ImageViewer, type ImageViewerData } from './image-viewer';
import type { ShownAttachment } from './attachment-files';

/** An image attachment's thumbnail, sized before it loads; activating it opens the image full size. */
@Component({
  selector: 'app-attachment-thumbnail',
  imports: [Icon],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <button type="button" class="thumb" [style.aspect-ratio]="ratio()" (click)="open()" [attr.aria-label]="'Open ' + attachment().name + ' full size'">
      @if (file.url(); as url) {
        <img [src]="url" [alt]="attachment().name" data-testid="thumbnail" />
      } @else if (file.failed()) {
        <span class="fallback"><app-icon name="image" />{{ attachment().name }}</span>
      } @else {
        <span class="placeholder" aria-hidden="true"></span>
      }
    </button>
  `,
  styles: `
    :host { display: block; }
    .thumb { display: block; width: 100%; padding: 0; border: 0; border-radius: 12px; overflow: hidden; cursor: zoom-in;
      background: var(--mat-sys-surface-container-highest); color: var(--mat-sys-on-surface-variant); }
    .thumb:focus-visible { outline: 3px solid var(--mat-sys-primary); outline-offset: 2px; }
    img { display: block; width: 100%; height: 100%; object-fit: cover; }
    .placeholder { display: block; width: 100%; height: 100%; }
    .fallback { display: flex; flex-direction: column; align-items: center; justify-content: center; gap: 4px; height: 100%; padding: 8px;
      font: var(--mat-sys-label-medium); overflow-wrap: anywhere; }
  `,
})
export class AttachmentThumbnail {
  readonly attachment = input.required<ShownAttachment>();
  /** False for a message with a timer. */
  readonly keep = input(true);
  private readonly dialog = inject(MatDialog);
  private viewer: MatDialogRef<ImageViewer> | null = null;
  protected readonly file = attachmentUrl(() => ({ attachment: this.attachment(), variant: 'thumbnail', keep: this.keep() }));
  /** The image's own shape, within limits so a panorama or a long screenshot stays a sensible tile. */
  protected readonly ratio = computed(() => {
    const { width, height } = this.attachment();
    if (!width || !height) return '1 / 1';
    return String(Math.min(2, Math.max(0.5, width / height)));
  });

  constructor() {
    // The message was deleted or has expired: its image leaves the screen too.
    inject(DestroyRef).onDestroy(() => this.viewer?.close());
  }

  protected open(): void {
    const data: ImageViewerData = { attachment: this.attachment(), keep: this.keep() };
    this.viewer = this.dialog.open(ImageViewer, { data, maxWidth: '96vw' });
    this.viewer.afterClosed().subscribe(() => (this.viewer = null));
  }
}
