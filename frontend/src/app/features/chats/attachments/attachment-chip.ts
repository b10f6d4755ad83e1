import { ChangeDetectionStrategy, Component, computed, inject, input, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatProgressSpinnerModule } from '@angular/material/progress-spinner';
import { fileSize } from '../../../shared/file-size';
import { Icon } from '../../../shared/icon';
import { Toasts } from '../../../shared/toasts';
import { AttachmentFiles, saveBlob, type ShownAttachment } from './attachment-files';

/** Any other file: its name and size, and a download. */
@Component({
  selector: 'app-attachment-chip',
  imports: [Icon, MatButtonModule, MatProgressSpinnerModule],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <app-icon class="kind" name="file" />
    <span class="text">
      <span class="name" data-testid="file-name">{{ attachment().name }}</span>
      <span class="size" data-testid="file-size">{{ size() }}</span>
    </span>
    <button mat-icon-button type="button" [disabled]="downloading()" (click)="download()" [attr.aria-label]="'Download ' + attachment().name + ', ' + size()">
      @if (downloading()) {
        <mat-progress-spinner mode="indeterminate" diameter="20" aria-hidden="true" />
      } @else {
        <app-icon name="download" />
      }
    </button>
  `,
  styles: `
    :host { display: flex; align-items: center; gap: 8px; min-width: 0; max-width: 320px; padding: 4px 4px 4px 10px; border-radius: 12px;
      background: var(--mat-sys-surface-container-highest); color: var(--mat-sys-on-surface); }
    .kind { flex: none; color: var(--mat-sys-primary); }
    .text { flex: 1; min-width: 0; display: flex; flex-direction: column; }
    .name { font: var(--mat-sys-body-medium); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    .size { font: var(--mat-sys-label-small); color: var(--mat-sys-on-surface-variant); }
  `,
})
export class AttachmentChip {
  readonly attachment = input.required<ShownAttachment>();
  readonly keep = input(true);
  private readonly files = inject(AttachmentFiles);
  private readonly toasts = inject(Toasts);
  protected readonly size = computed(() => fileSize(this.attachment().size));
  protected readonly downloading = signal(false);

  protected async download(): Promise<void> {
    const attachment = this.attachment();
    this.downloading.set(true);
    try {
      const blob = await this.files.get(attachment, 'original', { keep: this.keep() });
      this.files.release(attachment.id, 'original');
      saveBlob(blob, attachment.name);
    } catch (error) {
      this.toasts.error(error);
    } finally {
      this.downloading.set(false);
    }
  }
}
