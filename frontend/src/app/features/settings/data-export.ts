import { DOCUMENT } from '@angular/common';
import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { Icon } from '../../shared/icon';
import { saveFile } from './save-file';
import { ExportError, SettingsStore } from './settings-store';

@Component({
  selector: 'app-data-export',
  imports: [MatButtonModule, MatProgressBarModule, Icon],
  changeDetection: ChangeDetectionStrategy.OnPush,
  styleUrl: './settings-section.scss',
  template: `
    <section class="card" aria-labelledby="export-title" [attr.aria-busy]="store.exporting()">
      <h2 id="export-title">Export my data</h2>
      <p class="text">
        Download a zip of everything the server holds about you: your profile and signed-in devices, your friends,
        requests and blocks, every conversation with the messages you can still see, and the files you uploaded.
        End-to-end encrypted conversations are in it as the server has them, encrypted; export them readable below.
        You can do this once every 10 minutes.
      </p>
      @if (store.exporting()) {
        <mat-progress-bar mode="indeterminate" aria-label="Preparing your export" />
        <p class="status" role="status">Preparing your export…</p>
      } @else if (error(); as message) {
        <p class="form-error" role="alert">{{ message }}</p>
      } @else if (savedAs(); as name) {
        <p class="status" role="status">Downloaded {{ name }}.</p>
      }
      <div class="actions">
        <button mat-stroked-button type="button" (click)="export()" [disabled]="store.exporting()">
          <app-icon name="download" />
          {{ store.exporting() ? 'Exporting…' : 'Export my data' }}
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
export class DataExport {
  protected readonly store = inject(SettingsStore);
  private readonly document = inject(DOCUMENT);
  protected readonly error = signal<string | null>(null);
  protected readonly savedAs = signal<string | null>(null);

  protected async export(): Promise<void> {
    if (this.store.exporting()) return;
    this.error.set(null);
    this.savedAs.set(null);
    try {
      const file = await this.store.exportData();
      saveFile(this.document, file.blob, file.fileName);
      this.savedAs.set(file.fileName);
    } catch (error) {
      this.error.set(error instanceof ExportError ? error.message : 'The export failed. Please try again.');
    }
  }
}
