import { ChangeDetectionStrategy, Component, computed, input, output } from '@angular/core';
import { UploadItem } from './upload-item';
import type { Upload } from './uploads-store';

/** The files of a message on its way, with their progress; cancelling one sends the message without it. */
@Component({
  selector: 'app-pending-uploads',
  imports: [UploadItem],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @for (upload of shown(); track upload.key) {
      <app-upload-item [upload]="upload" action="cancel" (removed)="upload.cancel(); cancelled.emit()" />
    }
  `,
  styles: `:host { display: flex; flex-direction: column; gap: 4px; min-width: min(240px, 100%); }`,
})
export class PendingUploads {
  readonly uploads = input.required<readonly Upload[]>();
  readonly cancelled = output<void>();
  protected readonly shown = computed(() => this.uploads().filter((upload) => upload.state() !== 'cancelled'));
}
