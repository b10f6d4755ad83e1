import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { downloadFile, uploadFile } from './helpers/attachments.js';
import { animatedGif, mp4WithLocation, VIDEO_LOCATION } from './helpers/media.js';
import { befriend, openConversation } from './helpers/friends.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';
import { bearer, register, type Registered } from './helpers/users.js';
/*
 * Uploads under hostile input: malformed and aborted multipart bodies, odd file names, images that carry
 * metadata or decode to far more than they weigh, and sends that race for the same uploads.
 */

const GPS_EXIF = {
  IFD0: { Make: 'LeakCam', ImageDescription: 'EXIFSECRET' },
  IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 24/1', GPSLongitudeRef: 'E', GPSLongitude: '2/1 21/1 3/1' },
};
const GPS_XMP =
  '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
  '<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="48,51.4N" exif:UserComment="XMPSECRET"/></rdf:RDF></x:xmpmeta>';

function photo(): Sharp {
  return sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 30, g: 90, b: 160 } } });
}

describe('attachment uploads (e2e)', () => {
  let t: TestApp;
  let uploadDir: string;
  let alice: Registered;
  let bob: Registered;
  let charlie: Registered;
  let withBob: string;
  let withCharlie: string;

  beforeAll(async () => {
    uploadDir = await mkdtemp(join(tmpdir(), 'iris-uploads-'));
    t = await createTestApp({ UPLOAD_DIR: uploadDir });
    [alice, bob, charlie] = [await register(t.http), await register(t.http), await register(t.http)];
    await befriend(t.http, alice, bob);
    await befriend(t.http, alice, charlie);
    withBob = await openConversation(t.http, alice, bob);
    withCharlie = await openConversation(t.http, alice, charlie);
  });
  afterAll(async () => {
    await t.close();
    await rm(uploadDir, { recursive: true, force: true });
  });

  const upload = (who: Registered, content: Buffer, filename: string, contentType?: string) => uploadFile(t.http, who, content, filename, contentType);
  const send = (who: Registered, fields: object, conversation = withBob) =>
    t.http.post(`/api/conversations/${conversation}/messages`).set(bearer(who.accessToken)).send({ clientId: randomUUID(), ...fields });
  const download = (who: Registered, path: string, headers?: Record<string, string>) => downloadFile(t.http, who, path, headers);
  const incoming = () => readdir(join(uploadDir, '.incoming'));
  const attachmentCount = async () => Number((await t.db.query(`SELECT count(*) AS n FROM attachments`))[0].n);

  /** Sends raw bytes as the body of POST /api/attachments, with the given content type. */
  function rawUpload(contentType: string, body: Buffer | string): Promise<{ status: number; body: string }> {
    const { port } = t.app.getHttpServer().address() as AddressInfo;
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/api/attachments',
          headers: { ...bearer(alice.accessToken), 'content-type': contentType, 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          let text = '';
          res.on('data', (data: Buffer) => (text += data.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, body: text }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  describe('hostile uploads', () => {
    it('answers malformed multipart bodies with 400 INVALID_MULTIPART, never a 500, and keeps nothing', async () => {
      const boundary = 'XyZ';
      const rows = await attachmentCount();
      const cases: [string, string, string][] = [
        ['a body that is not multipart at all', `multipart/form-data; boundary=${boundary}`, 'just some text'],
        [
          'a file part cut off before the closing boundary',
          `multipart/form-data; boundary=${boundary}`,
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nhello`,
        ],
        ['an empty boundary', 'multipart/form-data; boundary=', 'x'],
        ['a boundary over 256 characters', `multipart/form-data; boundary=${'b'.repeat(300)}`, 'x'],
      ];
      const answers: Record<string, number> = {};
      for (const [name, contentType, body] of cases) {
        const res = await rawUpload(contentType, body);
        answers[name] = res.status;
        if (res.status === 400) expect(JSON.parse(res.body).code).toBe('INVALID_MULTIPART');
      }
      expect(answers).toEqual(Object.fromEntries(cases.map(([name]) => [name, 400])));
      expect(await incoming()).toEqual([]);
      expect(await attachmentCount()).toBe(rows);
    });

    it('refuses a body with two file parts with 400 TOO_MANY_PARTS instead of keeping the first, for plain and encrypted uploads', async () => {
      const rows = await attachmentCount();
      for (const path of ['/api/attachments', '/api/attachments/encrypted']) {
        const res = await t.http
          .post(path)
          .set(bearer(alice.accessToken))
          .attach('file', Buffer.from('first file'), { filename: 'a.txt', contentType: 'text/plain' })
          .attach('file', Buffer.from('second file'), { filename: 'b.txt', contentType: 'text/plain' });
        expect(`${res.status} ${res.body.code}`).toBe('400 TOO_MANY_PARTS');
      }
      expect(await attachmentCount()).toBe(rows);
      expect(await incoming()).toEqual([]);
    });

    it('a client that aborts mid-upload leaves no temporary file and no row, and the server keeps answering', async () => {
      const { port } = t.app.getHttpServer().address() as AddressInfo;
      const rows = await attachmentCount();
      const boundary = 'AbortMe';
      const socket = connect(port, '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write(
        `POST /api/attachments HTTP/1.1\r\nHost: iris\r\nAuthorization: Bearer ${alice.accessToken}\r\n` +
          `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: 10000000\r\n\r\n` +
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`,
      );
      socket.write(Buffer.alloc(256 * 1024, 7));
      for (let i = 0; i < 100 && (await incoming()).length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      expect((await incoming()).length).toBe(1);

      socket.destroy();
      for (let i = 0; i < 100 && (await incoming()).length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await incoming()).toEqual([]);
      expect(await attachmentCount()).toBe(rows);
      await t.http.get('/api/attachments/config').set(bearer(alice.accessToken)).expect(200);
      await upload(alice, Buffer.from('after the abort'), 'ok.txt').expect(201);
    });

    it('keeps the name in the upload answer equal to the one later served: no lone surrogates', async () => {
      const body = `--B\r\nContent-Disposition: form-data; name="file"; filename*=utf-16le''%00%D8%41%00\r\n\r\nhello\r\n--B--\r\n`;
      const res = await rawUpload('multipart/form-data; boundary=B', body);
      expect(res.status).toBe(201);
      const uploaded = JSON.parse(res.body) as { id: string; name: string };
      expect(uploaded.name).not.toMatch(/[\uD800-\uDFFF]/u);
      const message = (await send(alice, { attachmentIds: [uploaded.id] }).expect(201)).body;
      const history = await t.http.get(`/api/conversations/${withBob}/messages`).set(bearer(bob.accessToken)).expect(200);
      expect(history.body.items.find((m: { id: string }) => m.id === message.id).attachments[0].name).toBe(uploaded.name);
    });

    it('accepts an SVG file as a plain file (served as a download) instead of refusing it as a fake image', async () => {
      const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.domain)</script></svg>');
      const res = await upload(alice, svg, 'logo.svg', 'image/svg+xml').expect(201);
      expect(res.body.kind).toBe('file');
      const file = await download(alice, res.body.url).expect(200);
      expect(file.headers['content-type']).not.toMatch(/svg|html|xml/);
      expect(file.headers['content-disposition']).toMatch(/^attachment;/);
    });
  });

  describe('image privacy and decompression bombs', () => {
    it('never serves GPS or other metadata of a photo, whatever its format (TIFF, HEIC)', async () => {
      const tiff = await photo().tiff().withExif(GPS_EXIF).withXmp(GPS_XMP).toBuffer();
      expect(tiff.includes('XMPSECRET')).toBe(true);
      // An iPhone-style HEIC: an AVIF-coded HEIF file whose brand says heic (file-type: image/heic).
      const heif = await photo().avif().withExif(GPS_EXIF).withXmp(GPS_XMP).toBuffer();
      const heic = Buffer.from(heif);
      heic.write('heic', heic.indexOf('ftyp') + 4, 'ascii');
      expect(heic.includes('EXIFSECRET')).toBe(true);

      const leaks: Record<string, string> = {};
      for (const [name, bytes, type] of [
        ['scan.tiff', tiff, 'image/tiff'],
        ['IMG_0001.HEIC', heic, 'image/heic'],
      ] as const) {
        const res = await upload(alice, bytes, name, type);
        // Refusing a format that cannot be cleaned is fine; serving it with its GPS is not.
        if (res.status === 415) continue;
        expect(res.status).toBe(201);
        await send(alice, { attachmentIds: [res.body.id] }).expect(201);
        const served = (await download(bob, res.body.url).expect(200)).body as Buffer;
        const found = ['EXIFSECRET', 'XMPSECRET', 'GPSLatitude'].filter((marker) => served.includes(marker));
        if (found.length > 0) leaks[name] = `${res.body.kind} ${res.body.mimeType} served to the peer with ${found.join(', ')}`;
      }
      expect(leaks).toEqual({});
    });

    it('serves a video without the place it was filmed: its metadata boxes are blanked in place, every other byte kept', async () => {
      const video = mp4WithLocation();
      expect(video.includes(VIDEO_LOCATION)).toBe(true);

      const uploaded = (await upload(alice, video, 'clip.mp4', 'video/mp4').expect(201)).body;
      expect(uploaded).toMatchObject({ kind: 'video', mimeType: 'video/mp4', size: video.length });
      await send(alice, { attachmentIds: [uploaded.id] }).expect(201);
      const served = (await download(bob, uploaded.url).expect(200)).body as Buffer;

      expect(served).toHaveLength(video.length);
      for (const secret of [VIDEO_LOCATION, 'LeakCam', 'com.apple.quicktime']) expect(served.includes(secret)).toBe(false);
      expect(served.includes('frame data stays as it is')).toBe(true);
      expect(served.subarray(video.indexOf('mdat') - 4)).toEqual(video.subarray(video.indexOf('mdat') - 4));
    });

    it('refuses a video whose box structure cannot be walked with 415 INVALID_VIDEO rather than store its metadata', async () => {
      const rows = await attachmentCount();
      const truncated = mp4WithLocation().subarray(0, 60);

      const res = await upload(alice, truncated, 'cut.mp4', 'video/mp4');

      expect(`${res.status} ${res.body.code}`).toBe('415 INVALID_VIDEO');
      expect(await attachmentCount()).toBe(rows);
      expect(await incoming()).toEqual([]);
    });

    it('refuses animated GIF bombs: 70 KB that decode to 134 MP, and 100,000 frames', async () => {
      const rows = await attachmentCount();
      const bigFrames = animatedGif(4096, 4096, 8);
      expect(bigFrames.length).toBeLessThan(100_000);
      const manyFrames = animatedGif(16, 16, 100_000);
      const answers: Record<string, string> = {};
      for (const [name, bytes] of [
        ['big-frames.gif', bigFrames],
        ['many-frames.gif', manyFrames],
      ] as const) {
        const started = Date.now();
        const res = await upload(alice, bytes, name, 'image/gif');
        answers[name] = `${res.status} ${res.body.code ?? ''}`.trim();
        if (process.env.IRIS_PRINT_TIMINGS) console.log(`${name}: ${bytes.length} bytes, ${res.status} after ${Date.now() - started} ms`);
      }
      expect(answers).toEqual({ 'big-frames.gif': '413 IMAGE_TOO_LARGE', 'many-frames.gif': '413 IMAGE_TOO_LARGE' });
      expect(await attachmentCount()).toBe(rows);
      expect(await incoming()).toEqual([]);
    });

    it('decodes one image at a time per process, as media.ts promises, however many uploads arrive together', async () => {
      const gif = animatedGif(3000, 3000, 1);
      let busiest = 0;
      const sampler = setInterval(() => (busiest = Math.max(busiest, sharp.counters().process)), 2);
      try {
        const answers = await Promise.all([0, 1, 2].map((i) => upload(alice, gif, `wide-${i}.gif`, 'image/gif')));
        for (const answer of answers) expect(answer.status).toBe(201);
      } finally {
        clearInterval(sampler);
      }
      expect(busiest).toBe(1);
    });
  });

  describe('attaching uploads to messages concurrently', () => {
    it('two sends racing for one upload: exactly one message carries it, the other is a 404, never a 500', async () => {
      for (let round = 0; round < 5; round++) {
        const id = (await upload(alice, Buffer.from(`contested ${round}`), 'c.txt').expect(201)).body.id;
        const answers = await Promise.all([send(alice, { attachmentIds: [id] }, withBob), send(alice, { attachmentIds: [id] }, withCharlie)]);
        expect(answers.map((a) => a.status).sort()).toEqual([201, 404]);
        const carriers = await t.db.query(`SELECT message_id FROM attachments WHERE id = $1`, [id]);
        expect(carriers).toHaveLength(1);
        expect(carriers[0].message_id).toBe(answers.find((a) => a.status === 201)!.body.id);
      }
    });

    it('sends that take the same uploads in opposite orders never deadlock into a 500', async () => {
      for (let round = 0; round < 5; round++) {
        const x = (await upload(alice, Buffer.from(`x${round}`), 'x.txt').expect(201)).body.id;
        const y = (await upload(alice, Buffer.from(`y${round}`), 'y.txt').expect(201)).body.id;
        const answers = await Promise.all([send(alice, { attachmentIds: [x, y] }, withBob), send(alice, { attachmentIds: [y, x] }, withCharlie)]);
        expect(answers.map((a) => a.status).sort()).toEqual([201, 404]);
      }
    });

    it('concurrent retries of one send with attachments all answer the same message', async () => {
      const id = (await upload(alice, Buffer.from('retry me'), 'r.txt').expect(201)).body.id;
      const clientId = randomUUID();
      const answers = await Promise.all([0, 1, 2].map(() => send(alice, { clientId, body: 'with a file', attachmentIds: [id] })));
      expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 201]);
      expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
      for (const answer of answers) expect(answer.body.attachments.map((a: { id: string }) => a.id)).toEqual([id]);
    });
  });


});
