import { ChangeDetectionStrategy, Component, type ElementRef, effect, inject, type OnDestroy, signal, viewChild } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { Api } from '../../../sdk/api';
import { avatarsRemoveAvatar } from '../../../sdk/fn/users/avatars-remove-avatar';
import { avatarsSetAvatar } from '../../../sdk/fn/users/avatars-set-avatar';
import { describeError } from '../../core/api-errors';
import { AuthStore } from '../../core/auth-store';
import { Avatar } from '../../shared/avatar';
import { Toasts } from '../../shared/toasts';
import { CROP_OUTPUT_SIZE, type CropState, cropRect, initialCrop, MAX_ZOOM, moveCrop } from './square-crop';

/** The crop preview's size on screen, in CSS pixels. */
const PREVIEW_SIZE = 240;
/** How far an arrow key moves the square, as a share of its size. */
const KEY_STEP = 0.05;

/**
 * Your profile picture: choose a file, keep a square of it (drag or arrow keys to move, the slider or
 * +/− to zoom), save or remove. The square is cut in the browser; the server re-encodes it without metadata.
 */
@Component({
  selector: 'app-profile-picture',
  imports: [Avatar, MatButtonModule],
  changeDetection: ChangeDetectionStrategy.OnPush,
  styleUrl: './settings-section.scss',
  template: `
    @if (auth.user(); as user) {
      <div class="picture" data-testid="profile-picture">
        @if (image()) {
          <div
            class="crop"
            #cropArea
            tabindex="0"
            role="group"
            aria-label="Picture crop"
            aria-describedby="crop-help"
            data-testid="crop-area"
            (keydown)="onKey($event)"
            (pointerdown)="onPointerDown($event)"
            (pointermove)="onPointerMove($event)"
            (pointerup)="dragging = null"
            (pointercancel)="dragging = null"
          >
            <canvas #preview [width]="previewSize" [height]="previewSize" aria-hidden="true"></canvas>
          </div>
          <p id="crop-help" class="hint">Drag the picture or use the arrow keys to choose the square; + and − or the slider zoom.</p>
          <label class="zoom">
            Zoom
            <input type="range" min="1" [max]="maxZoom" step="0.05" [value]="crop().zoom" (input)="zoomTo(+$any($event.target).value)" data-testid="crop-zoom" />
          </label>
          <div class="actions">
            <button mat-button type="button" (click)="cancel()" [disabled]="busy()">Cancel</button>
            <button mat-flat-button type="button" (click)="save()" [disabled]="busy()" data-testid="save-picture">Save picture</button>
          </div>
        } @else {
          <app-avatar [name]="user.displayName" [user]="user" size="large" />
          <div class="actions">
            <input #file type="file" accept="image/jpeg,image/png,image/webp,image/gif,image/avif" hidden (change)="choose($event)" data-testid="picture-file" />
            <button mat-stroked-button type="button" (click)="file.click()" [disabled]="busy()">{{ user.avatarVersion ? 'Change picture' : 'Add a picture' }}</button>
            @if (user.avatarVersion) {
              <button mat-button type="button" (click)="remove()" [disabled]="busy()" data-testid="remove-picture">Remove picture</button>
            }
          </div>
        }
        <p class="hint" data-testid="picture-not-encrypted">
          Profile pictures are not end-to-end encrypted: the server stores them (without location or camera data), and your friends and the people you chat with see them.
        </p>
        @if (error(); as message) {
          <p class="form-error" role="alert">{{ message }}</p>
        }
      </div>
    }
  `,
  styles: `
    .picture { display: flex; flex-direction: column; align-items: flex-start; gap: 8px; margin-bottom: 16px; }
    .crop { width: 240px; height: 240px; border-radius: 8px; overflow: hidden; cursor: grab; touch-action: none;
      outline-offset: 2px; background: var(--mat-sys-surface-variant); }
    .crop:focus-visible { outline: 2px solid var(--mat-sys-primary); }
    canvas { display: block; width: 240px; height: 240px; border-radius: 50%; }
    .zoom { display: flex; align-items: center; gap: 8px; font: var(--mat-sys-body-medium); }
    .actions { display: flex; flex-wrap: wrap; gap: 8px; }
  `,
})
export class ProfilePicture implements OnDestroy {
  protected readonly auth = inject(AuthStore);
  private readonly api = inject(Api);
  private readonly toasts = inject(Toasts);
  private readonly preview = viewChild<ElementRef<HTMLCanvasElement>>('preview');
  private readonly cropArea = viewChild<ElementRef<HTMLElement>>('cropArea');

  protected readonly image = signal<ImageBitmap | null>(null);
  protected readonly crop = signal<CropState>(initialCrop());
  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly previewSize = PREVIEW_SIZE;
  protected readonly maxZoom = MAX_ZOOM;
  protected dragging: { x: number; y: number } | null = null;

  constructor() {
    effect(() => {
      const image = this.image();
      const canvas = this.preview()?.nativeElement;
      if (image && canvas) draw(image, this.crop(), canvas, PREVIEW_SIZE);
    });
    // The crop area takes the focus when it opens, so the keyboard can move the square at once.
    effect(() => this.cropArea()?.nativeElement.focus());
  }

  ngOnDestroy(): void {
    this.image()?.close();
  }

  protected async choose(event: Event): Promise<void> {
    const input = event.target as HTMLInputElement;
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    this.error.set(null);
    try {
      this.image.set(await createImageBitmap(file));
      this.crop.set(initialCrop());
    } catch {
      this.error.set('That file is not a picture this browser can read. Choose a JPEG, PNG, WebP, GIF or AVIF image.');
    }
  }

  protected zoomTo(zoom: number): void {
    const image = this.image();
    if (image) this.crop.set(moveCrop(image.width, image.height, this.crop(), 0, 0, zoom));
  }

  protected onKey(event: KeyboardEvent): void {
    const image = this.image();
    if (!image) return;
    const step = cropRect(image.width, image.height, this.crop()).size * KEY_STEP;
    const moves: Record<string, [number, number, number]> = {
      ArrowLeft: [-step, 0, 0],
      ArrowRight: [step, 0, 0],
      ArrowUp: [0, -step, 0],
      ArrowDown: [0, step, 0],
      '+': [0, 0, 0.25],
      '=': [0, 0, 0.25],
      '-': [0, 0, -0.25],
    };
    const move = moves[event.key];
    if (!move) return;
    event.preventDefault();
    const state = this.crop();
    this.crop.set(moveCrop(image.width, image.height, state, move[0], move[1], state.zoom + move[2]));
  }

  protected onPointerDown(event: PointerEvent): void {
    (event.currentTarget as HTMLElement).setPointerCapture?.(event.pointerId);
    this.dragging = { x: event.clientX, y: event.clientY };
  }

  /** Dragging moves the picture under the square: the square goes the other way, in source pixels. */
  protected onPointerMove(event: PointerEvent): void {
    const image = this.image();
    if (!this.dragging || !image) return;
    const scale = cropRect(image.width, image.height, this.crop()).size / PREVIEW_SIZE;
    const [dx, dy] = [event.clientX - this.dragging.x, event.clientY - this.dragging.y];
    this.dragging = { x: event.clientX, y: event.clientY };
    this.crop.set(moveCrop(image.width, image.height, this.crop(), -dx * scale, -dy * scale));
  }

  protected cancel(): void {
    this.image()?.close();
    this.image.set(null);
  }

  protected async save(): Promise<void> {
    const image = this.image();
    if (!image) return;
    await this.run(async () => {
      const canvas = document.createElement('canvas');
      draw(image, this.crop(), canvas, CROP_OUTPUT_SIZE);
      const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.9));
      if (!blob) throw new Error('The picture could not be prepared');
      const user = await this.api.invoke(avatarsSetAvatar, { body: { file: new File([blob], 'profile.jpg', { type: 'image/jpeg' }) } });
      this.auth.updateUser(user);
      this.cancel();
      this.toasts.info('Profile picture saved.');
    });
  }

  protected async remove(): Promise<void> {
    await this.run(async () => {
      this.auth.updateUser(await this.api.invoke(avatarsRemoveAvatar));
      this.toasts.info('Profile picture removed.');
    });
  }

  private async run(work: () => Promise<void>): Promise<void> {
    this.busy.set(true);
    this.error.set(null);
    try {
      await work();
    } catch (error) {
      this.error.set(describeError(error));
    } finally {
      this.busy.set(false);
    }
  }
}

/** Draws the kept square of `image` into `canvas`, `size` pixels on each side. */
function draw(image: ImageBitmap, state: CropState, canvas: HTMLCanvasElement, size: number): void {
  canvas.width = size;
  canvas.height = size;
  const { x, y, size: side } = cropRect(image.width, image.height, state);
  canvas.getContext('2d')?.drawImage(image, x, y, side, side, 0, 0, size, size);
}
