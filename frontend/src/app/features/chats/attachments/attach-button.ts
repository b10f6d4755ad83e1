import { ChangeDetectionStrategy, Component, inject, input } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { Icon } from '../../../shared/icon';
import { UploadsStore } from './uploads-store';

/** The paperclip: opens the system's file picker (several files at once). */
@Component({
  selector: 'app-attach-button',
  imports: [Icon, MatButtonModule],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <button mat-icon-button type="button" [disabled]="disabled()" (click)="picker.click()" aria-label="Attach files">
      <app-icon name="attach-file" />
    </button>
    <input #picker type="file" multiple hidden tabindex="-1" aria-hidden="true" data-testid="file-input" (change)="picked(picker)" />
  `,
  styles: `:host { display: inline-flex; flex: none; }`,
})
export class AttachButton {
  readonly disabled = input(false);
  private readonly uploads = inject(UploadsStore);

  protected picked(input: HTMLInputElement): void {
    const files = Array.from(input.files ?? []);
    // Picking the same file again must fire `change` again.
    input.value = '';
    void this.uploads.add(files);
  }
}
