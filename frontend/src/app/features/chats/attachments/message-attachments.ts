import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import { AttachmentChip } from './attachment-chip';
import { AttachmentMedia } from './attachment-media';
import { AttachmentThumbnail } from './attachment-thumbnail';
import type { ShownAttachment } from './attachment-files';

/** A sent message's attachments: images as a grid of thumbnails, then players, then file chips. */
@Component({
  selector: 'app-message-attachments',
  imports: [AttachmentChip, AttachmentMedia, AttachmentThumbnail],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @if (images().length) {
      <div class="images" [class.several]="images().length > 1">
        @for (attachment of images(); track attachment.id) {
          <app-attachment-thumbnail [attachment]="attachment" [keep]="keep()" />
        }
      </div>
    }
    @for (attachment of media(); track attachment.id) {
      <app-attachment-media [attachment]="attachment" [keep]="keep()" />
    }
    @for (attachment of files(); track attachment.id) {
      <app-attachment-chip [attachment]="attachment" [keep]="keep()" data-testid="file-chip" />
    }
  `,
  styles: `
    :host { display: flex; flex-direction: column; gap: 6px; min-width: 0; }
    .images { display: grid; grid-template-columns: minmax(0, 280px); gap: 4px; }
    .images.several { grid-template-columns: repeat(2, minmax(0, 160px)); }
  `,
})
export class MessageAttachments {
  readonly attachments = input.required<readonly ShownAttachment[]>();
  /** False for a message with a timer: none of its files stay in memory once off screen. */
  readonly keep = input(true);
  // An image without a thumbnail (it should not happen) is still reachable as a file.
  protected readonly images = computed(() => this.attachments().filter((item) => item.kind === 'image' && item.thumbnailUrl));
  protected readonly media = computed(() => this.attachments().filter((item) => item.kind === 'video' || item.kind === 'audio'));
  protected readonly files = computed(() => this.attachments().filter((item) => item.kind === 'file' || (item.kind === 'image' && !item.thumbnailUrl)));
}
