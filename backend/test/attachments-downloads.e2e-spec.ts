import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { downloadFile, uploadFile } from './helpers/attachments.js';
import { befriend, openConversation } from './helpers/friends.js';
import { mp4Like, png } from './helpers/media.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';
import { bearer, register, type Registered } from './helpers/users.js';

/* Downloads of attachments: Range and conditional requests, what a non-member learns, caching, and how the API documents them. */

describe('attachment downloads (e2e)', () => {
  let t: TestApp;
  let uploadDir: string;
  let alice: Registered;
  let bob: Registered;
  let charlie: Registered;
  let withBob: string;

  beforeAll(async () => {
    uploadDir = await mkdtemp(join(tmpdir(), 'iris-downloads-'));
    t = await createTestApp({ UPLOAD_DIR: uploadDir });
    [alice, bob, charlie] = [await register(t.http), await register(t.http), await register(t.http)];
    await befriend(t.http, alice, bob);
    await befriend(t.http, alice, charlie);
    withBob = await openConversation(t.http, alice, bob);
  });
  afterAll(async () => {
    await t.close();
    await rm(uploadDir, { recursive: true, force: true });
  });

  const upload = (who: Registered, content: Buffer, filename: string, contentType?: string) => uploadFile(t.http, who, content, filename, contentType);
  const send = (who: Registered, fields: object) =>
    t.http.post(`/api/conversations/${withBob}/messages`).set(bearer(who.accessToken)).send({ clientId: randomUUID(), ...fields });
  const download = (who: Registered, path: string, headers?: Record<string, string>) => downloadFile(t.http, who, path, headers);

  describe('Range, conditional requests and caching', () => {
    let video: Buffer;
    let videoUrl: string;
    let videoId: string;
    beforeAll(async () => {
      video = mp4Like(1000);
      const uploaded = (await upload(alice, video, 'clip.mp4', 'video/mp4').expect(201)).body;
      await send(alice, { attachmentIds: [uploaded.id] }).expect(201);
      videoUrl = uploaded.url;
      videoId = uploaded.id;
    });

    it('never answers a hostile Range header with a 5xx', async () => {
      const size = video.length;
      const expected: [string, number, string | undefined][] = [
        ['bytes=5-2', 200, undefined],
        ['bytes=0-0,5-9', 200, undefined],
        ['bytes=99999999999999999999999999-', 416, `bytes */${size}`],
        ['bytes=0-99999999999999999999999', 206, `bytes 0-${size - 1}/${size}`],
        ['bytes=-0', 416, `bytes */${size}`],
        ['bytes=-99999999999999999999', 206, `bytes 0-${size - 1}/${size}`],
        ['bytes = 0-1', 200, undefined],
        ['bytes=1e3-', 200, undefined],
        ['bytes=-', 200, undefined],
        ['items=0-1', 200, undefined],
        [`bytes=${size - 1}-`, 206, `bytes ${size - 1}-${size - 1}/${size}`],
      ];
      for (const [range, status, contentRange] of expected) {
        const res = await download(bob, videoUrl, { Range: range });
        expect({ range, status: res.status, contentRange: res.headers['content-range'] }).toEqual({ range, status, contentRange });
      }
    });

    it('tells a non-member nothing, whatever conditional, range or method they use', async () => {
      const etag = `"${videoId}"`;
      for (const headers of <Record<string, string>[]>[{}, { 'If-None-Match': etag }, { Range: 'bytes=0-1' }, { Range: 'bytes=999999-' }, { 'If-Range': etag, Range: 'bytes=0-1' }]) {
        const res = await download(charlie, videoUrl, headers);
        expect({ headers, status: res.status, etag: res.headers.etag }).toEqual({ headers, status: 404, etag: undefined });
      }
      await t.http.head(videoUrl).set(bearer(charlie.accessToken)).expect(404);
      await download(charlie, `${videoUrl}/thumbnail`, { 'If-None-Match': `"${videoId}-t"` }).expect(404);
    });

    it('timed attachments are never stored in a cache, not even their thumbnail, 206 or 416 answers', async () => {
      const image = (await upload(alice, await png(), 'timed.png', 'image/png').expect(201)).body;
      await send(alice, { attachmentIds: [image.id], expiresInSeconds: 3600, expiryMode: 'afterRead' }).expect(201);
      for (const [path, headers] of [
        [image.url, {}],
        [image.thumbnailUrl, {}],
        [image.url, { Range: 'bytes=0-9' }],
        [image.url, { Range: 'bytes=99999999-' }],
        [image.url, { 'If-None-Match': `"${image.id}"` }],
      ] as const) {
        const res = await download(bob, path, headers);
        expect(res.status).not.toBe(304);
        expect(res.headers['cache-control']).toBe('private, no-store');
      }
    });
  });

  describe('OpenAPI', () => {
    it('documents download and thumbnail errors as JSON (what the API sends), and the 304 answer', async () => {
      const spec = JSON.parse(await readFile(join(dirname(fileURLToPath(import.meta.url)), '../openapi.json'), 'utf8'));
      for (const path of ['/api/attachments/{id}', '/api/attachments/{id}/thumbnail']) {
        const responses = spec.paths[path].get.responses as Record<string, { content?: Record<string, unknown> }>;
        for (const status of ['400', '404', ...(responses['416'] ? ['416'] : [])]) {
          expect({ path, status, types: Object.keys(responses[status].content ?? {}) }).toEqual({ path, status, types: ['application/json'] });
        }
        expect(responses['304']).toBeDefined();
      }
    });
  });
});
