import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { UploadItem } from './upload-item';
import { UploadsStore } from './uploads-store';

/** Above the composer: why files were refused, and the files the next message will carry. */
@Component({
  selector: 'app-upload-tray',
  imports: [MatButtonModule, UploadItem],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @if (uploads.notices().length) {
      <div class="notices" role="alert" data-testid="upload-notices">
        <ul>
          @for (notice of uploads.notices(); track $index) {
            <li>{{ notice }}</li>
          }
        </ul>
        <button mat-button type="button" (click)="uploads.dismissNotices()">Dismiss</button>
      </div>
    }
    @if (!uploads.empty()) {
      <ul class="tray" aria-label="Attachments to send">
        @for (upload of uploads.tray(); track upload.key) {
          <li><app-upload-item [upload]="upload" (removed)="uploads.remove(upload)" /></li>
        }
      </ul>
    }
  `,
  styles: `
    :host { display: flex; flex-direction: column; gap: 4px; }
    :host:empty { display: none; }
    .notices { display: flex; align-items: flex-start; gap: 8px; padding: 4px 4px 4px 12px; border-radius: 12px;
      background: var(--mat-sys-error-container); color: var(--mat-sys-on-error-container); font: var(--mat-sys-body-medium); }
    .notices ul { flex: 1; margin: 6px 0; padding: 0; list-style: none; overflow-wrap: anywhere; }
    .tray { list-style: none; margin: 0; padding: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 240px), 1fr)); gap: 4px;
      max-height: 30dvh; overflow-y: auto; }
  `,
})
export class UploadTray {
  protected readonly uploads = inject(UploadsStore);
}
