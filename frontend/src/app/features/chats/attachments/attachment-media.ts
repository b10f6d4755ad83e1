import { ChangeDetectionStrategy, Component, computed, input, linkedSignal, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatProgressSpinnerModule } from '@angular/material/progress-spinner';
import { fileSize } from '../../../shared/file-size';
import { Icon } from '../../../shared/icon';
import { attachmentUrl } from './attachment-url';
import type { ShownAttachment } from './attachment-files';

/** Files up to this size load with the message; larger ones when the user asks to play them. */
export const AUTOLOAD_MEDIA_BYTES = 4 * 1024 * 1024;

/** A video or audio attachment: the browser's player on the file, loaded on demand when it is large. */
@Component({
  selector: 'app-attachment-media',
  imports: [Icon, MatButtonModule, MatProgressSpinnerModule],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @let item = attachment();
    @if (!requested()) {
      <button mat-stroked-button type="button" class="load" (click)="requested.set(true)" [attr.aria-label]="'Play ' + item.name + ', ' + size()">
        <app-icon [name]="item.kind === 'video' ? 'movie' : 'audio'" />
        <span class="label"><span class="name">{{ item.name }}</span> <span class="meta">{{ details() }}</span></span>
        <app-icon name="play" />
      </button>
    } @else if (file.url(); as url) {
      @if (item.kind === 'video') {
        <video controls preload="metadata" [autoplay]="autoplay()" [src]="url" [attr.aria-label]="item.name" data-testid="video"
          (loadedmetadata)="metadata($event)" (durationchange)="metadata($event)" (timeupdate)="progress($event)"></video>
      } @else {
        <audio controls preload="metadata" [autoplay]="autoplay()" [src]="url" [attr.aria-label]="item.name" data-testid="audio"
          (loadedmetadata)="metadata($event)" (durationchange)="metadata($event)" (timeupdate)="progress($event)"></audio>
      }
      <span class="caption" data-testid="media-caption">{{ item.name }} · {{ playing() ?? details() }}</span>
    } @else if (file.failed()) {
      <p class="error" role="alert">
        {{ item.name }} could not be loaded.
        <button mat-button type="button" (click)="file.retry()">Try again</button>
      </p>
    } @else {
      <div class="loading" role="status">
        <mat-progress-spinner mode="indeterminate" diameter="20" aria-hidden="true" />
        Loading {{ item.name }}…
      </div>
    }
  `,
  styles: `
    :host { display: flex; flex-direction: column; gap: 2px; min-width: 0; }
    /* A fixed width, capped by the bubble: a percentage alone would shrink with the bubble around it. */
    video { display: block; width: 360px; max-width: 100%; max-height: 60dvh; border-radius: 12px; background: #000; }
    audio { display: block; width: 300px; max-width: 100%; }
    .load { justify-content: flex-start; height: auto; min-height: 48px; padding: 6px 12px; }
    .label { display: inline-flex; flex-direction: column; align-items: flex-start; min-width: 0; margin: 0 8px; text-align: left; }
    .name { max-width: 100%; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    .meta, .caption { font: var(--mat-sys-label-small); color: var(--mat-sys-on-surface-variant); }
    .caption { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    .loading { display: flex; align-items: center; gap: 8px; font: var(--mat-sys-label-medium); padding: 8px 0; }
    .error { margin: 0; color: var(--mat-sys-error); font: var(--mat-sys-label-medium); }
  `,
})
export class AttachmentMedia {
  readonly attachment = input.required<ShownAttachment>();
  readonly keep = input(true);
  /** Small files load at once; a large one waits for the user's "play". */
  protected readonly requested = linkedSignal(() => this.attachment().size <= AUTOLOAD_MEDIA_BYTES);
  /** Played as soon as it is there when the user asked for it. */
  protected readonly autoplay = computed(() => this.attachment().size > AUTOLOAD_MEDIA_BYTES);
  protected readonly file = attachmentUrl(() => (this.requested() ? { attachment: this.attachment(), variant: 'original', keep: this.keep() } : null));
  protected readonly size = computed(() => fileSize(this.attachment().size));
  /** The length the player found in the file, for a file whose content did not say. */
  private readonly loadedSeconds = signal<number | null>(null);
  /** Where playback is, once it has started. */
  private readonly position = signal(0);
  /** The length: from the content when it says, else from the file once its metadata has loaded. */
  private readonly seconds = computed(() => this.attachment().durationSeconds || this.loadedSeconds());
  protected readonly details = computed(() => {
    const seconds = this.seconds();
    return seconds ? `${duration(seconds)} · ${this.size()}` : this.size();
  });
  /** "0:03 / 0:12" while playing (or paused part-way). */
  protected readonly playing = computed(() => {
    const seconds = this.seconds();
    const position = this.position();
    return seconds && position > 0 ? `${duration(Math.min(position, seconds))} / ${duration(seconds)}` : null;
  });

  protected metadata(event: Event): void {
    // A recording from MediaRecorder (WebM) often says Infinity until it has been played through.
    const seconds = (event.target as HTMLMediaElement).duration;
    if (Number.isFinite(seconds) && seconds > 0) this.loadedSeconds.set(seconds);
  }

  protected progress(event: Event): void {
    this.position.set((event.target as HTMLMediaElement).currentTime);
  }
}

function duration(totalSeconds: number): string {
  const seconds = Math.round(totalSeconds);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = String(seconds % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}
