import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { befriend, openConversation } from './helpers/friends.js';
import { mp4Like } from './helpers/media.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';
import { bearer, register, type Registered } from './helpers/users.js';

describe('probe', () => {
  let t: TestApp;
  let dir: string;
  let alice: Registered;
  let bob: Registered;
  let conv: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'iris-probe-'));
    t = await createTestApp({ UPLOAD_DIR: dir });
    alice = await register(t.http);
    bob = await register(t.http);
    await befriend(t.http, alice, bob);
    conv = await openConversation(t.http, alice, bob);
  });
  afterAll(async () => {
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  function raw(headers: Record<string, string | number>, body: Buffer | string, method = 'POST', path = '/api/attachments'): Promise<{ status: number; body: string; headers: object }> {
    const { port } = t.app.getHttpServer().address() as AddressInfo;
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, method, path, headers: { ...bearer(alice.accessToken), ...headers } }, (res) => {
        let b = '';
        res.on('data', (d: Buffer) => (b += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body: b.slice(0, 300), headers: res.headers }));
      });
      req.on('error', reject);
      req.setTimeout(5000, () => {
        req.destroy(new Error('timeout'));
      });
      req.end(body);
    });
  }

  it('hostile multipart', async () => {
    const b = 'XyZ';
    const part = (disp: string, ct = 'Content-Type: application/octet-stream\r\n') =>
      `--${b}\r\nContent-Disposition: ${disp}\r\n${ct}\r\nhello\r\n--${b}--\r\n`;
    const cases: [string, Record<string, string | number>, string][] = [
      ['mixed', { 'content-type': `multipart/mixed; boundary=${b}` }, part('form-data; name="file"; filename="a.txt"')],
      ['noboundary', { 'content-type': `multipart/form-data` }, part('form-data; name="file"; filename="a.txt"')],
      ['emptyboundary', { 'content-type': `multipart/form-data; boundary=` }, 'x'],
      ['garbage', { 'content-type': `multipart/form-data; boundary=${b}` }, 'garbage garbage'],
      ['truncated', { 'content-type': `multipart/form-data; boundary=${b}` }, `--${b}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nhello`],
      ['badcharset', { 'content-type': `multipart/form-data; boundary=${b}` }, part(`form-data; name="file"; filename*=x-bogus''abc`)],
      ['utf16', { 'content-type': `multipart/form-data; boundary=${b}` }, part(`form-data; name="file"; filename*=utf-16le''%00%D8%41%00`)],
      ['noname', { 'content-type': `multipart/form-data; boundary=${b}` }, part(`form-data; filename="a.txt"`)],
      ['noct', { 'content-type': `multipart/form-data; boundary=${b}` }, part(`form-data; name="file"; filename="a.png"`, '')],
      ['protoname', { 'content-type': `multipart/form-data; boundary=${b}` }, part(`form-data; name="__proto__"; filename="a.txt"`)],
      ['emptybody', { 'content-type': `multipart/form-data; boundary=${b}` }, ''],
      ['charset-ct', { 'content-type': `multipart/form-data; boundary=${b}; charset=bogus-xx` }, part('form-data; name="file"; filename="a.txt"')],
      ['crlfname', { 'content-type': `multipart/form-data; boundary=${b}` }, part(`form-data; name="file"; filename="a\r\nX-Evil: 1.txt"`)],
      ['bigheader', { 'content-type': `multipart/form-data; boundary=${b}` }, part(`form-data; name="file"; filename="${'a'.repeat(100000)}.txt"`)],
      ['nofilename', { 'content-type': `multipart/form-data; boundary=${b}` }, part(`form-data; name="file"`)],
    ];
    for (const [name, headers, body] of cases) {
      try {
        const r = await raw(headers, body);
        console.log(name, r.status, r.body);
      } catch (e) {
        console.log(name, 'ERR', String(e));
      }
    }
    console.log('incoming', await readdir(join(dir, '.incoming')));
  });

  it('ranges and head', async () => {
    const video = mp4Like(1000);
    const up = (await t.http.post('/api/attachments').set(bearer(alice.accessToken)).attach('file', video, 'v.mp4')).body;
    await t.http.post(`/api/conversations/${conv}/messages`).set(bearer(alice.accessToken)).send({ clientId: randomUUID(), attachmentIds: [up.id] }).expect(201);
    for (const range of ['bytes=5-2', 'bytes=0-0,5-9', 'bytes=99999999999999999999999999-', 'bytes=0-99999999999999999999999', 'bytes=-0', ' bytes=0-1 ', 'bytes = 0-1', 'bytes=-99999999999999999999', 'bytes=1e3-', 'bytes=0x10-', 'items=0-1', 'bytes=-', 'bytes=0-0', `bytes=${video.length - 1}-`]) {
      const r = await raw({ range }, '', 'GET', up.url);
      console.log(JSON.stringify(range), r.status, (r.headers as Record<string, string>)['content-range'], (r.headers as Record<string, string>)['content-length']);
    }
    const h = await raw({}, '', 'HEAD', up.url);
    console.log('HEAD', h.status, h.headers);
    const h2 = await raw({ authorization: `Bearer ${bob.accessToken}` }, '', 'HEAD', up.url);
    console.log('HEAD bob', h2.status);
  });

  it('abort mid upload', async () => {
    const { port } = t.app.getHttpServer().address() as AddressInfo;
    const b = 'AbC';
    const head = `--${b}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`;
    const socket = connect(port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.write(
      `POST /api/attachments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${alice.accessToken}\r\nContent-Type: multipart/form-data; boundary=${b}\r\nContent-Length: 10000000\r\n\r\n${head}`,
    );
    socket.write(Buffer.alloc(200_000, 1));
    await new Promise((r) => setTimeout(r, 300));
    console.log('during', await readdir(join(dir, '.incoming')));
    socket.destroy();
    await new Promise((r) => setTimeout(r, 500));
    console.log('after', await readdir(join(dir, '.incoming')));
    const r = await raw({}, '', 'GET', '/api/attachments/config');
    console.log('still alive', r.status);
  });
});
