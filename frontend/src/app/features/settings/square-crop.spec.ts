import { describe, expect, it } from 'vitest';
import { cropRect, initialCrop, MAX_ZOOM, moveCrop } from './square-crop';

describe('square crop', () => {
  it('keeps the largest centred square at first', () => {
    expect(cropRect(800, 600, initialCrop())).toEqual({ x: 100, y: 0, size: 600 });
    expect(cropRect(300, 900, initialCrop())).toEqual({ x: 0, y: 300, size: 300 });
  });

  it('zooms into a smaller square around the same centre, between 1 and MAX_ZOOM', () => {
    expect(cropRect(800, 600, { ...initialCrop(), zoom: 2 })).toEqual({ x: 250, y: 150, size: 300 });
    expect(cropRect(800, 600, { ...initialCrop(), zoom: 99 }).size).toBe(600 / MAX_ZOOM);
    expect(cropRect(800, 600, { ...initialCrop(), zoom: 0.2 }).size).toBe(600);
  });

  it('never leaves the image, however far it is moved', () => {
    const left = moveCrop(800, 600, initialCrop(), -10_000, 0);
    expect(cropRect(800, 600, left)).toEqual({ x: 0, y: 0, size: 600 });
    const corner = moveCrop(800, 600, { ...initialCrop(), zoom: 2 }, 10_000, 10_000);
    expect(cropRect(800, 600, corner)).toEqual({ x: 500, y: 300, size: 300 });
  });

  it('moves by source pixels and keeps the centre where the clamp put it, so moving back works at once', () => {
    const zoomed = { ...initialCrop(), zoom: 2 };
    const moved = moveCrop(800, 600, zoomed, 40, -20);
    const rect = cropRect(800, 600, moved);
    expect([rect.x, rect.y, rect.size].map((n) => Math.round(n * 1000) / 1000)).toEqual([290, 130, 300]);
    const pinned = moveCrop(800, 600, zoomed, 10_000, 0);
    expect(cropRect(800, 600, moveCrop(800, 600, pinned, -50, 0)).x).toBe(450);
  });
});
