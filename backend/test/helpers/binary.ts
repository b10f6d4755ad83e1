import type { Response } from 'supertest';

/** A supertest parser that collects any response body as a Buffer: `.buffer(true).parse(binary)`. */
export function binary(res: Response, callback: (error: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (chunk: Buffer) => chunks.push(chunk));
  res.on('end', () => callback(null, Buffer.concat(chunks)));
}
