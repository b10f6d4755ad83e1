import { Directive, ElementRef, inject, signal } from '@angular/core';
import { UploadsStore } from './uploads-store';

/**
 * Files dragged onto the element, or pasted into it, go to the upload tray. `dragging` is true while
 * files are held over it, for a visible drop zone.
 */
@Directive({
  selector: '[appFileDrop]',
  host: {
    '(dragenter)': 'enter($event)',
    '(dragover)': 'over($event)',
    '(dragleave)': 'leave($event)',
    '(drop)': 'drop($event)',
    '(paste)': 'paste($event)',
    '(document:dragover)': 'guard($event)',
    '(document:drop)': 'guard($event)',
  },
})
export class FileDrop {
  private readonly uploads = inject(UploadsStore);
  private readonly host = inject<ElementRef<HTMLElement>>(ElementRef).nativeElement;
  /** dragenter/dragleave fire for every child crossed: count them to know when the files left. */
  private depth = 0;
  private readonly draggingValue = signal(false);
  readonly dragging = this.draggingValue.asReadonly();

  protected enter(event: DragEvent): void {
    if (!hasFiles(event)) return;
    event.preventDefault();
    this.depth++;
    this.draggingValue.set(true);
  }

  protected over(event: DragEvent): void {
    if (!hasFiles(event)) return;
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
  }

  protected leave(event: DragEvent): void {
    if (!hasFiles(event)) return;
    this.depth = Math.max(0, this.depth - 1);
    if (this.depth === 0) this.draggingValue.set(false);
  }

  protected drop(event: DragEvent): void {
    if (!hasFiles(event)) return;
    event.preventDefault();
    this.depth = 0;
    this.draggingValue.set(false);
    void this.uploads.add(Array.from(event.dataTransfer?.files ?? []));
  }

  /** Files let go beside the drop zone (on the top bar) do nothing, rather than the browser leaving the app to open them. */
  protected guard(event: DragEvent): void {
    if (!hasFiles(event) || this.host.contains(event.target as Node | null)) return;
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = 'none';
  }

  /** Pasted images (a screenshot) are attached; pasted text stays the textarea's business. */
  protected paste(event: ClipboardEvent): void {
    const files = Array.from(event.clipboardData?.files ?? []);
    if (files.length === 0) return;
    event.preventDefault();
    void this.uploads.add(files);
  }
}

function hasFiles(event: DragEvent): boolean {
  return Array.from(event.dataTransfer?.types ?? []).includes('Files');
}
