/** The square of the picture to keep: its centre (0–1 of the image's width and height) and zoom. */
export interface CropState {
  centerX: number;
  centerY: number;
  /** 1 keeps the largest square that fits; at most MAX_ZOOM. */
  zoom: number;
}

export const MAX_ZOOM = 4;
/** The size the kept square is drawn at before upload (the server stores 256 px; twice that leaves it room). */
export const CROP_OUTPUT_SIZE = 512;

export const initialCrop = (): CropState => ({ centerX: 0.5, centerY: 0.5, zoom: 1 });

/** The square of the source image, in its pixels, that the crop state keeps; always inside the image. */
export function cropRect(width: number, height: number, state: CropState): { x: number; y: number; size: number } {
  const zoom = Math.min(MAX_ZOOM, Math.max(1, state.zoom));
  const size = Math.min(width, height) / zoom;
  const x = clamp(state.centerX * width - size / 2, 0, width - size);
  const y = clamp(state.centerY * height - size / 2, 0, height - size);
  return { x, y, size };
}

/** The state moved by (dx, dy) source pixels and zoomed, with its centre brought back inside what the image allows. */
export function moveCrop(width: number, height: number, state: CropState, dx: number, dy: number, zoom = state.zoom): CropState {
  const next = { centerX: state.centerX + dx / width, centerY: state.centerY + dy / height, zoom: Math.min(MAX_ZOOM, Math.max(1, zoom)) };
  const { x, y, size } = cropRect(width, height, next);
  return { centerX: (x + size / 2) / width, centerY: (y + size / 2) / height, zoom: next.zoom };
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
