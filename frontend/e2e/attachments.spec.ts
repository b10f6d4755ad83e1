import { expect, type Page } from '@playwright/test';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { apiLogin, befriendByApi, newPage, register, screenshots, test, uniqueName } from './support';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/**
 * A sunset-coloured PNG with grain: the grain keeps it from compressing, so the upload is large
 * enough (about 700 KB) for its progress to be seen on a throttled connection.
 */
function grainyPng(width: number, height: number): Buffer {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  let seed = 42;
  const noise = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return (seed >>> 16) % 48;
  };
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    raw[row] = 0;
    for (let x = 0; x < width; x++) {
      const at = row + 1 + x * 3;
      const t = y / height;
      raw[at] = Math.min(255, 200 + 55 * t - 24 + noise());
      raw[at + 1] = Math.min(255, 80 + 100 * t + (x / width) * 40 - 24 + noise());
      raw[at + 2] = Math.min(255, 140 - 100 * t - 24 + noise());
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A short tone as 16-bit mono PCM WAV. */
function toneWav(seconds: number, rate = 8000): Buffer {
  const samples = seconds * rate;
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) data.writeInt16LE(Math.round(Math.sin((2 * Math.PI * 440 * i) / rate) * 8000), i * 2);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

/** The policy the backend and nginx serve the app under: files must show through blob: URLs. */
const CSP =
  "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' blob: data:; media-src 'self' blob:; " +
  "connect-src 'self' ws: wss:; font-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'";

/** Serves the app's pages with CSP (only the documents are intercepted) and collects any violation. */
async function underCsp(page: Page, violations: string[]): Promise<void> {
  for (const pattern of ['**/register', '**/chats', '**/chats/*']) {
    await page.route(pattern, async (route) => {
      if (route.request().resourceType() !== 'document') return route.fallback();
      const response = await route.fetch();
      await route.fulfill({ response, headers: { ...response.headers(), 'content-security-policy': CSP } });
    });
  }
  page.on('console', (message) => {
    if (/Content.Security.Policy/i.test(message.text())) violations.push(message.text());
  });
}

/** Natural width of an image element once it has loaded (0 while it has not). */
function naturalWidth(page: Page, testId: string): () => Promise<number> {
  return () => page.getByTestId(testId).last().evaluate((image: HTMLImageElement) => (image.complete ? image.naturalWidth : 0));
}

test('bob sends a photo with visible progress, alice opens it full size; a file chip downloads; too large is refused', async ({ browser, request }) => {
  test.setTimeout(120_000);
  const aliceName = uniqueName('alice');
  const bobName = uniqueName('bob');
  const alice = await newPage(browser);
  const bob = await newPage(browser);
  const violations: string[] = [];
  await underCsp(alice, violations);
  await underCsp(bob, violations);
  await register(alice, aliceName, 'Alice Liddell');
  await register(bob, bobName, 'Bob Builder');
  await befriendByApi(request, aliceName, bobName);

  const bobApi = await apiLogin(request, bobName);
  const aliceApi = await apiLogin(request, aliceName);
  const opened = await request.post('/api/conversations', { headers: { authorization: `Bearer ${bobApi.token}` }, data: { userId: aliceApi.id, encrypted: false } });
  expect(opened.ok()).toBe(true);
  const conversationId = (await opened.json()).id as string;
  for (const page of [alice, bob]) {
    await page.goto(`/chats/${conversationId}`);
    await expect(page.getByText('No messages yet. Say hello!')).toBeVisible();
  }
  const aliceLog = alice.getByRole('log', { name: 'Messages' });
  const bobLog = bob.getByRole('log', { name: 'Messages' });
  const png = grainyPng(640, 480);
  expect(png.length).toBeGreaterThan(500_000);

  await test.step('bob picks a photo on a slow connection: its progress shows, then the message is sent', async () => {
    const cdp = await bob.context().newCDPSession(bob);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 200 * 1024 });

    await bob.getByTestId('file-input').setInputFiles({ name: 'sunset.png', mimeType: 'image/png', buffer: png });
    const tray = bob.getByRole('list', { name: 'Attachments to send' });
    await expect(tray.getByTestId('upload')).toContainText('sunset.png');
    await expect(tray.getByRole('progressbar', { name: 'Uploading sunset.png' })).toBeVisible();
    await expect(tray.getByTestId('upload')).toContainText(/\d+%/);

    const composer = bob.getByRole('textbox', { name: 'Message' });
    await composer.fill('Sunset from the ferry');
    await composer.press('Enter');
    await expect(tray).toHaveCount(0);
    // The message waits for its upload, showing the progress in the history.
    const pending = bobLog.getByTestId('message').last();
    await expect(pending).toContainText('Sending…');
    await expect(pending.getByRole('progressbar', { name: 'Uploading sunset.png' })).toBeVisible();

    await expect(pending.getByRole('img', { name: 'sunset.png' })).toBeVisible({ timeout: 30_000 });
    await expect(pending).not.toContainText('Sending…');
    await expect(pending.getByRole('progressbar')).toHaveCount(0);
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  });

  await test.step('alice sees the thumbnail live and opens the photo full size; Escape closes it', async () => {
    const message = aliceLog.getByTestId('message').filter({ hasText: 'Sunset from the ferry' });
    const thumbnail = message.getByRole('img', { name: 'sunset.png' });
    await expect(thumbnail).toBeVisible();
    await expect.poll(naturalWidth(alice, 'thumbnail')).toBeGreaterThan(0);

    const open = message.getByRole('button', { name: 'Open sunset.png full size' });
    await open.click();
    const dialog = alice.getByRole('dialog', { name: 'sunset.png' });
    await expect(dialog).toBeVisible();
    await expect(dialog.getByTestId('full-image')).toHaveAttribute('alt', 'sunset.png');
    await expect.poll(naturalWidth(alice, 'full-image')).toBe(640);
    await screenshots(alice, 'attachment-viewer');
    const downloading = alice.waitForEvent('download');
    await dialog.getByRole('button', { name: 'Download sunset.png' }).click();
    expect((await downloading).suggestedFilename()).toBe('sunset.png');
    await alice.keyboard.press('Escape');
    await expect(dialog).toHaveCount(0);
    await expect(open).toBeFocused();
  });

  await test.step('alice sends a voice note; bob gets a player on it, with its length', async () => {
    await alice.getByTestId('file-input').setInputFiles({ name: 'voice-note.wav', mimeType: 'audio/wav', buffer: toneWav(2) });
    await expect(alice.getByRole('list', { name: 'Attachments to send' }).getByTestId('upload')).toContainText('Uploaded');
    await alice.getByRole('button', { name: 'Send' }).click();

    const message = bobLog.getByTestId('message').filter({ hasText: 'voice-note.wav' });
    await expect(message).toContainText('voice-note.wav · 0:02 · 31 KB');
    const player = message.getByTestId('audio');
    await expect(player).toHaveAttribute('src', /^blob:/);
    await expect.poll(() => player.evaluate((audio: HTMLAudioElement) => (audio.readyState >= 1 ? Math.round(audio.duration) : 0))).toBe(2);
  });

  await test.step('alice sends a file; bob sees a chip with its name and size, and downloads it', async () => {
    const notes = Buffer.from('Ferry times\n'.repeat(210));
    await alice.getByTestId('file-input').setInputFiles({ name: 'ferry-times.txt', mimeType: 'text/plain', buffer: notes });
    const upload = alice.getByRole('list', { name: 'Attachments to send' }).getByTestId('upload');
    await expect(upload).toContainText('Uploaded');
    await alice.getByRole('button', { name: 'Send' }).click();

    const chip = bobLog.getByTestId('file-chip').filter({ hasText: 'ferry-times.txt' });
    await expect(chip).toBeVisible();
    await expect(chip.getByTestId('file-size')).toHaveText('2.5 KB');
    const downloading = bob.waitForEvent('download');
    await chip.getByRole('button', { name: 'Download ferry-times.txt, 2.5 KB' }).click();
    const download = await downloading;
    expect(download.suggestedFilename()).toBe('ferry-times.txt');
    expect(readFileSync(await download.path()).equals(notes)).toBe(true);
  });

  await test.step('a file dragged onto the conversation shows the drop zone and lands in the tray; removing it cancels it', async () => {
    const target = bob.locator('app-conversation');
    const transfer = await bob.evaluateHandle(() => {
      const data = new DataTransfer();
      data.items.add(new File(['hello'], 'dropped.txt', { type: 'text/plain' }));
      return data;
    });
    await target.dispatchEvent('dragenter', { dataTransfer: transfer });
    await expect(bob.getByTestId('drop-zone')).toContainText('Drop files to send them to Alice Liddell');
    await target.dispatchEvent('drop', { dataTransfer: transfer });
    await expect(bob.getByTestId('drop-zone')).toHaveCount(0);
    const tray = bob.getByRole('list', { name: 'Attachments to send' });
    await expect(tray.getByTestId('upload')).toContainText('dropped.txt');
    await tray.getByRole('button', { name: /(Remove|Cancel upload of) dropped\.txt/ }).click();
    await expect(tray).toHaveCount(0);
  });

  await test.step('a file over the server\'s limit is refused before any upload, in words', async () => {
    const config = await (await request.get('/api/attachments/config', { headers: { authorization: `Bearer ${bobApi.token}` } })).json();
    const directory = mkdtempSync(join(tmpdir(), 'iris-e2e-large-'));
    const path = join(directory, 'holiday-video.mov');
    // A sparse file: one byte over the limit without writing it all.
    const handle = openSync(path, 'w');
    ftruncateSync(handle, config.maxUploadBytes + 1);
    closeSync(handle);
    try {
      let uploads = 0;
      bob.on('request', (sent) => sent.method() === 'POST' && sent.url().endsWith('/api/attachments') && uploads++);
      await bob.getByTestId('file-input').setInputFiles(path);
      const notice = bob.getByTestId('upload-notices');
      await expect(notice).toContainText('“holiday-video.mov” is too large');
      await expect(notice).toContainText(`files may be at most ${Math.round(config.maxUploadBytes / 1024 / 1024)} MB`);
      await expect(bob.getByRole('list', { name: 'Attachments to send' })).toHaveCount(0);
      expect(uploads).toBe(0);
      await notice.getByRole('button', { name: 'Dismiss' }).click();
      await expect(notice).toHaveCount(0);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  await test.step('bob cancels a photo on its way: the upload stops and the message without text goes', async () => {
    const cdp = await bob.context().newCDPSession(bob);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 20 * 1024 });
    await bob.getByTestId('file-input').setInputFiles({ name: 'second-sunset.png', mimeType: 'image/png', buffer: png });
    await bob.getByRole('button', { name: 'Send' }).click();
    const pending = bobLog.getByTestId('message').filter({ hasText: 'second-sunset.png' });
    await expect(pending.getByRole('progressbar', { name: 'Uploading second-sunset.png' })).toBeVisible();
    await screenshots(bob, 'attachments-uploading');

    const aborted = bob.waitForEvent('requestfailed', (failed) => failed.url().endsWith('/api/attachments'));
    await pending.getByRole('button', { name: 'Cancel sending second-sunset.png' }).click();
    await aborted;
    await expect(pending).toHaveCount(0);
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  });

  await test.step('the chat list names the attachment; nothing overflows at 360 px; screenshots', async () => {
    await alice.setViewportSize({ width: 360, height: 740 });
    await expect(aliceLog.getByRole('img', { name: 'sunset.png' })).toBeVisible();
    expect(await alice.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await screenshots(alice, 'attachments');
    await bob.goto('/chats');
    const item = bob.getByRole('list', { name: 'Conversations' }).getByRole('listitem');
    await expect(item).toContainText('📎 ferry-times.txt');
    expect(violations).toEqual([]);
  });
});
