import { createDecipheriv, createECDH, createHmac, createPublicKey, randomBytes, verify, type ECDH } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedPush {
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const WAIT_MS = 5000;

/**
 * A push service on 127.0.0.1: each subscription made with `subscription()` is a path here, backed by a
 * P-256 key pair and auth secret the test holds, as a browser's would be. It answers `status` (201 by default).
 */
export class PushReceiver {
  readonly received: ReceivedPush[] = [];
  status = 201;
  private readonly server: Server;
  private readonly listeners = new Set<() => void>();

  private constructor() {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        this.received.push({ path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks) });
        response.writeHead(this.status).end();
        for (const listener of [...this.listeners]) listener();
      });
    });
  }

  static async start(): Promise<PushReceiver> {
    const receiver = new PushReceiver();
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get origin(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** A browser's subscription: the JSON to register and the private half to decrypt with. */
  subscription(): BrowserSubscription {
    return new BrowserSubscription(`${this.origin}/push/${randomBytes(12).toString('hex')}`);
  }

  /** The pushes to `endpoint` so far, waiting until there are at least `count`. */
  async pushesTo(endpoint: string, count = 1): Promise<ReceivedPush[]> {
    const path = new URL(endpoint).pathname;
    const mine = () => this.received.filter((push) => push.path === path);
    if (mine().length >= count) return mine();
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (mine().length < count) return;
        clearTimeout(timer);
        this.listeners.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(new Error(`${mine().length} of ${count} pushes to ${path} within ${WAIT_MS} ms`));
      }, WAIT_MS);
      this.listeners.add(check);
    });
    return mine();
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export class BrowserSubscription {
  private readonly ecdh: ECDH = createECDH('prime256v1');
  private readonly authSecret = randomBytes(16);
  readonly p256dh: Buffer;

  constructor(readonly endpoint: string) {
    this.p256dh = this.ecdh.generateKeys();
  }

  toJSON() {
    return { endpoint: this.endpoint, expirationTime: null, keys: { p256dh: this.p256dh.toString('base64url'), auth: this.authSecret.toString('base64url') } };
  }

  /** Decrypts an `aes128gcm` push body (RFC 8188 framing, RFC 8291 keys) into the JSON it carries. */
  decrypt(body: Buffer): unknown {
    const salt = body.subarray(0, 16);
    const idLength = body.readUInt8(20);
    const serverPublic = body.subarray(21, 21 + idLength);
    const ciphertext = body.subarray(21 + idLength);
    const hmac = (key: Buffer, ...data: Buffer[]) => createHmac('sha256', key).update(Buffer.concat(data)).digest();
    const sharedSecret = this.ecdh.computeSecret(serverPublic);
    const prkKey = hmac(this.authSecret, sharedSecret);
    const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), this.p256dh, serverPublic]);
    const ikm = hmac(prkKey, keyInfo, Buffer.from([1]));
    const prk = hmac(salt, ikm);
    const cek = hmac(prk, Buffer.from('Content-Encoding: aes128gcm\0'), Buffer.from([1])).subarray(0, 16);
    const nonce = hmac(prk, Buffer.from('Content-Encoding: nonce\0'), Buffer.from([1])).subarray(0, 12);
    const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
    decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
    const padded = Buffer.concat([decipher.update(ciphertext.subarray(0, ciphertext.length - 16)), decipher.final()]);
    // The last record ends with the delimiter 0x02, then zero padding.
    let end = padded.length - 1;
    while (padded[end] === 0) end--;
    if (padded[end] !== 2) throw new Error('no last-record delimiter');
    return JSON.parse(padded.subarray(0, end).toString('utf8'));
  }
}

/**
 * Checks an `Authorization: vapid t=<JWT>, k=<key>` header (RFC 8292): `k` is the server's public key,
 * and the ES256 signature over the JWT verifies against it. Answers the JWT's claims.
 */
export function verifyVapid(header: string | undefined, serverPublicKey: string): { aud: string; exp: number; sub: string } {
  const match = /^vapid t=([\w-]+\.[\w-]+\.[\w-]+), k=([\w-]+)$/.exec(header ?? '');
  if (!match) throw new Error(`not a VAPID Authorization header: ${header}`);
  const [, jwt, key] = match;
  if (key !== serverPublicKey) throw new Error('k is not the server public key');
  const [headerPart, claimsPart, signature] = jwt.split('.');
  const point = Buffer.from(key, 'base64url');
  const publicKey = createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33, 65).toString('base64url') },
    format: 'jwk',
  });
  const signed = Buffer.from(`${headerPart}.${claimsPart}`);
  if (!verify('sha256', signed, { key: publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'))) {
    throw new Error('the VAPID signature does not verify');
  }
  const jwtHeader = JSON.parse(Buffer.from(headerPart, 'base64url').toString('utf8')) as { alg: string };
  if (jwtHeader.alg !== 'ES256') throw new Error(`alg ${jwtHeader.alg}`);
  return JSON.parse(Buffer.from(claimsPart, 'base64url').toString('utf8'));
}
