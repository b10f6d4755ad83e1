import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { createTestApp, type TestApp } from './helpers/test-app.js';

describe('the web client build served at /', () => {
  let t: TestApp;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'iris-web-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Iris</title><app-root></app-root>');
    writeFileSync(join(dir, 'main-ABCD1234.js'), 'console.log(1)');
    writeFileSync(join(dir, 'favicon.ico'), 'icon');
    mkdirSync(join(dir, 'media'));
    writeFileSync(join(dir, 'media', 'logo.svg'), '<svg/>');
    mkdirSync(join(dir, 'crypto'));
    writeFileSync(join(dir, 'crypto', 'matrix_sdk_crypto_wasm_bg.wasm'), Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]));
    t = await createTestApp({}, { webClientDir: dir });
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers / and any client route with index.html, never cached', async () => {
    for (const path of ['/', '/chats', '/chats/5f0c/details?x=1', '/sign-in']) {
      const res = await t.http.get(path).expect(200).expect('content-type', /html/);
      expect(res.text).toContain('<app-root>');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
  });

  it('serves hashed bundles with a long immutable cache and other files with revalidation', async () => {
    const bundle = await t.http.get('/main-ABCD1234.js').expect(200).expect('content-type', /javascript/);
    expect(bundle.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const icon = await t.http.get('/favicon.ico').expect(200);
    expect(icon.headers['cache-control']).toBe('no-cache');
    await t.http.get('/media/logo.svg').expect(200);
  });

  it('serves the crypto library as application/wasm, so browsers compile it while it streams', async () => {
    const wasm = await t.http.get('/crypto/matrix_sdk_crypto_wasm_bg.wasm').expect(200).expect('content-type', 'application/wasm');
    expect(wasm.headers['cache-control']).toBe('no-cache');
  });

  it('answers a missing file, a path outside the build and a non-GET with 404', async () => {
    await t.http.get('/missing-ABCD1234.js').expect(404);
    const outside = `${basename(dir)}.secret`;
    writeFileSync(join(dir, '..', outside), 'top secret content');
    try {
      for (const path of [`/..%2f${outside}`, `/%2e%2e/${outside}`, `/media/..%2f..%2f${outside}`]) {
        const res = await t.http.get(path).expect(404);
        expect(res.text).not.toContain('top secret content');
      }
    } finally {
      rmSync(join(dir, '..', outside));
    }
    await t.http.post('/chats').send({}).expect(404);
  });

  it('leaves the API, its 404s and the docs alone', async () => {
    await t.http.get('/api/health').expect(200).expect('content-type', /json/);
    const missing = await t.http.get('/api/nope').expect(404).expect('content-type', /json/);
    expect(missing.body.code).toBe('NOT_FOUND');
    await t.http.get('/apidocs').expect(200).expect('content-type', /html/).expect((res) => expect(res.text).not.toContain('<app-root>'));
    await t.http.get('/apidocs-json').expect(200).expect('content-type', /json/);
  });
});
