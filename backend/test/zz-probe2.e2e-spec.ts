import { processImage } from '../src/attachments/media.js';
import { rm } from 'node:fs/promises';

describe('probe2', () => {
  for (const f of (process.env.PROBE_FILES ?? 'big8.gif,one33.gif,tiny30k.gif,micro500k.gif').split(',')) {
    it(f, async () => {
      const base = process.memoryUsage().rss;
      let peak = base;
      const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
      const t0 = Date.now();
      const mime = f.endsWith('.gif') ? 'image/gif' : f.endsWith('.webp') ? 'image/webp' : f.endsWith('.png') ? 'image/png' : 'image/jpeg';
      let result: unknown;
      try {
        result = await processImage(`/tmp/irisprobe/${f}`, mime, `/tmp/irisprobe/out-${f}`, `/tmp/irisprobe/thumb-${f}`);
      } catch (e) {
        result = String(e);
      }
      clearInterval(timer);
      console.log(f, JSON.stringify(result), `${Date.now() - t0} ms`, `peak +${((peak - base) / 1048576).toFixed(0)} MB`);
      await rm(`/tmp/irisprobe/out-${f}`, { force: true });
      await rm(`/tmp/irisprobe/thumb-${f}`, { force: true });
    }, 600_000);
  }
});
