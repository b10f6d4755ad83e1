import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { S3Storage } from '../src/attachments/storage/s3-storage.js';

it('s3 hang', async () => {
  const sockets: import('node:net').Socket[] = [];
  const server = createServer((s) => sockets.push(s)).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as AddressInfo;
  const storage = new S3Storage({ endpoint: `http://127.0.0.1:${port}`, bucket: 'b', accessKeyId: 'a', secretAccessKey: 's', region: 'us-east-1', forcePathStyle: true });
  const t0 = Date.now();
  const outcome = await Promise.race([
    storage.delete('originals/00000000-0000-4000-8000-000000000000').then(() => 'resolved', (e: Error) => `rejected ${e.name} ${e.message}`),
    new Promise((r) => setTimeout(() => r('still pending'), 60_000)),
  ]);
  console.log(outcome, Date.now() - t0);
  storage.destroy();
  for (const s of sockets) s.destroy();
  server.close();
}, 120_000);
