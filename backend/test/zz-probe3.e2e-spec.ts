import { processImage } from '../src/attachments/media.js';
import { copyFile, rm } from 'node:fs/promises';

it('concurrent', async () => {
  const n = Number(process.env.N ?? 4);
  const f = process.env.F ?? 'one33.gif';
  for (let i = 0; i < n; i++) await copyFile(`/tmp/irisprobe/${f}`, `/tmp/irisprobe/c${i}-${f}`);
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  const t0 = Date.now();
  const mime = f.endsWith('.gif') ? 'image/gif' : f.endsWith('.webp') ? 'image/webp' : f.endsWith('.png') ? 'image/png' : f.endsWith('.avif') ? 'image/avif' : 'image/jpeg';
  const results = await Promise.allSettled(
    Array.from({ length: n }, (_, i) => processImage(`/tmp/irisprobe/c${i}-${f}`, mime, `/tmp/irisprobe/o${i}-${f}`, `/tmp/irisprobe/t${i}-${f}`)),
  );
  clearInterval(timer);
  console.log(f, n, results.map((r) => r.status), `${Date.now() - t0} ms`, `peak +${((peak - base) / 1048576).toFixed(0)} MB`);
  for (let i = 0; i < n; i++) for (const p of ['c', 'o', 't']) await rm(`/tmp/irisprobe/${p}${i}-${f}`, { force: true });
}, 600_000);
