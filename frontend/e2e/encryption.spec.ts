import { type APIRequestContext, expect, type Locator, type Page } from '@playwright/test';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { gpsCoordinates, hasGps, jpegWithGps, readStoredZip } from './fixtures';
import { dumpServerState, mediaSignature, mediaSignatureFiles, occurrences, occurrencesByEncoding, recordRedisTraffic } from './server-dump';
import { apiLogin, befriendByApi, cspViolations, newPage, register, screenshots, signIn, test, uniqueName } from './support';

/**
 * Every `blob:` URL the page makes, with its Blob: the decrypted files exist only as object URLs, and
 * the CSP (rightly) lets no script fetch one, so the spec reads the Blob behind the URL instead.
 */
async function recordObjectUrls(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const blobs = new Map<string, Blob>();
    (window as unknown as { __irisBlobs: Map<string, Blob> }).__irisBlobs = blobs;
    const create = URL.createObjectURL.bind(URL);
    URL.createObjectURL = (object: Blob | MediaSource) => {
      const url = create(object);
      if (object instanceof Blob) blobs.set(url, object);
      return url;
    };
  });
}

/** The bytes of the file an `<img>` shows (from its object URL). */
async function shownBytes(image: Locator): Promise<Buffer> {
  const bytes = await image.evaluate(async (element: HTMLImageElement) => {
    const blob = (window as unknown as { __irisBlobs: Map<string, Blob> }).__irisBlobs.get(element.src);
    if (!blob) throw new Error(`No Blob recorded for ${element.src}`);
    return Array.from(new Uint8Array(await blob.arrayBuffer()));
  });
  return Buffer.from(bytes);
}

/** How many of the user's devices have uploaded their keys (the browsers' devices; API sign-ins have none). */
async function devicesWithKeys(request: APIRequestContext, token: string, userId: string): Promise<number> {
  const matrixId = `@${userId}:iris`;
  const response = await request.post('/api/e2ee/keys/query', { headers: { authorization: `Bearer ${token}` }, data: { device_keys: { [matrixId]: [] } } });
  expect(response.ok()).toBe(true);
  const body = await response.json();
  return Object.keys(body.device_keys?.[matrixId] ?? {}).length;
}

/** The storage keys of the test's own uploads, from their rows. */
async function storageKeys(attachmentIds: string[]): Promise<string[]> {
  const url = process.env['E2E_DATABASE_URL'];
  if (!url) throw new Error('E2E_DATABASE_URL is not set: run the specs through `npm run e2e`');
  const list = attachmentIds.map((id) => `'${id.replace(/[^0-9a-f-]/g, '')}'`).join(',');
  const { stdout } = await promisify(execFile)('psql', [url, '-At', '-c', `SELECT storage_key FROM attachments WHERE id IN (${list}) UNION ALL SELECT thumbnail_key FROM attachments WHERE id IN (${list}) AND thumbnail_key IS NOT NULL`]);
  return stdout.split('\n').filter(Boolean);
}

test('an encrypted chat: text and a photo reach the peer, the server keeps neither the text nor any recognisable media, and a new device reads only what came after it', async ({ browser, request }) => {
  test.setTimeout(180_000);
  const canary = `e2ee-canary-${randomBytes(8).toString('hex')}`;
  const replyCanary = `e2ee-reply-${randomBytes(8).toString('hex')}`;
  const photoName = `photo-canary-${randomBytes(6).toString('hex')}.jpg`;
  const aliceName = uniqueName('alice');
  const bobName = uniqueName('bob');
  const alice = await newPage(browser);
  const bob = await newPage(browser);
  await recordObjectUrls(bob);
  await register(alice, aliceName, 'Alice Liddell');
  await register(bob, bobName, 'Bob Builder');
  await befriendByApi(request, aliceName, bobName);
  const aliceApi = await apiLogin(request, aliceName);
  const bobApi = await apiLogin(request, bobName);
  const photo = await jpegWithGps(photoName);
  expect(gpsCoordinates(photo.buffer)?.latitude).toBeCloseTo(48.8584, 3);

  const aliceLog = alice.getByRole('log', { name: 'Messages' });
  const bobLog = bob.getByRole('log', { name: 'Messages' });
  const uploadIds: string[] = [];
  alice.on('response', (response) => {
    if (response.request().method() === 'POST' && new URL(response.url()).pathname === '/api/attachments/encrypted' && response.ok()) {
      void response.json().then((body: { id: string }) => uploadIds.push(body.id), () => undefined);
    }
  });

  let conversationId = '';
  await test.step('alice opens the chat from her friends: it is new, so it is end-to-end encrypted on both screens', async () => {
    await alice.goto('/friends');
    await alice.getByRole('button', { name: 'Message Bob Builder' }).first().click();
    await expect(alice).toHaveURL(/\/chats\/[0-9a-f-]{36}$/);
    conversationId = alice.url().split('/').pop()!;
    await bob.goto(`/chats/${conversationId}`);
    for (const page of [alice, bob]) {
      await expect(page.getByTestId('encryption-state')).toHaveText('End-to-end encrypted');
      await expect(page.getByText('No messages yet. Say hello!')).toBeVisible();
    }
    // Both browsers' devices have published their keys.
    await expect.poll(() => devicesWithKeys(request, aliceApi.token, bobApi.id)).toBe(1);
    await expect.poll(() => devicesWithKeys(request, bobApi.token, aliceApi.id)).toBe(1);
  });

  const traffic = await recordRedisTraffic();
  try {
    await test.step('alice sends the canary text; bob reads it live', async () => {
      const composer = alice.getByRole('textbox', { name: 'Message' });
      await composer.fill(canary);
      await composer.press('Enter');
      await expect(aliceLog.getByTestId('message').filter({ hasText: canary })).toBeVisible();
      await expect(bobLog.getByTestId('message').filter({ hasText: canary })).toBeVisible();
    });

    await test.step('alice sends a photo with GPS; bob sees it live, decrypted, as a real image without the location', async () => {
      await alice.getByTestId('file-input').setInputFiles(photo.path);
      await expect(alice.getByRole('list', { name: 'Attachments to send' }).getByTestId('upload')).toContainText('Uploaded');
      await alice.getByRole('button', { name: 'Send' }).click();

      const thumbnail = bobLog.getByRole('img', { name: photoName });
      await expect(thumbnail).toBeVisible();
      await expect.poll(() => thumbnail.evaluate((element: HTMLImageElement) => (element.complete ? element.naturalWidth : 0))).toBeGreaterThan(0);
      const thumbnailBytes = await shownBytes(thumbnail);
      expect(mediaSignature(thumbnailBytes)).toBe('jpeg');
      expect(hasGps(thumbnailBytes)).toBe(false);

      await thumbnail.click();
      const full = bob.getByTestId('full-image');
      await expect(full).toBeVisible();
      await expect.poll(() => full.evaluate((element: HTMLImageElement) => (element.complete ? element.naturalWidth : 0))).toBe(640);
      const fullBytes = await shownBytes(full);
      expect(mediaSignature(fullBytes)).toBe('jpeg');
      expect(hasGps(fullBytes)).toBe(false);
      expect(fullBytes.equals(photo.buffer)).toBe(false);
      await bob.keyboard.press('Escape');
      await expect(full).toHaveCount(0);
    });

    await test.step('bob replies and alice reads it', async () => {
      const composer = bob.getByRole('textbox', { name: 'Message' });
      await composer.fill(replyCanary);
      await composer.press('Enter');
      await expect(aliceLog.getByTestId('message').filter({ hasText: replyCanary })).toBeVisible();
      await screenshots(bob, 'conversation-encrypted');
    });

    const state = await dumpServerState();
    const published = await traffic.stop();

    await test.step('the server holds the messages but never their text, nor the photo\'s name', async () => {
      expect(occurrences(state.database, conversationId)).toBeGreaterThanOrEqual(1);
      for (const needle of [canary, replyCanary, photoName]) {
        expect(occurrencesByEncoding(state.database, needle), `database: ${needle}`).toEqual({});
        expect(occurrencesByEncoding(state.redis, needle), `redis keys: ${needle}`).toEqual({});
        expect(occurrencesByEncoding(published, needle), `redis traffic: ${needle}`).toEqual({});
        expect(occurrencesByEncoding(state.log, needle), `log: ${needle}`).toEqual({});
        expect(state.files.filter((file) => occurrences(file.content, needle) > 0).map((file) => file.path), `files: ${needle}`).toEqual([]);
      }
      // The messages did cross Redis (as ciphertext): the recorder saw the conversation's broadcasts.
      expect(occurrences(published, conversationId)).toBeGreaterThanOrEqual(1);
    });

    await test.step('the files this test stored are opaque: no image or video signature, never the photo', async () => {
      // The photo and its thumbnail, each an encrypted blob.
      expect(uploadIds).toHaveLength(2);
      const keys = await storageKeys(uploadIds);
      expect(keys).toHaveLength(2);
      const stored = state.files.filter((file) => keys.includes(file.path));
      expect(stored).toHaveLength(2);
      expect(mediaSignatureFiles(stored)).toEqual([]);
      expect(stored.filter((file) => file.content.equals(photo.buffer) || hasGps(file.content))).toEqual([]);
    });
  } finally {
    await traffic.stop();
    rmSync(dirname(photo.path), { recursive: true, force: true });
  }

  const aliceAgain = await newPage(browser);
  await test.step('alice signs in on a second browser: a new device, which cannot read what came before it', async () => {
    await aliceAgain.goto('/sign-in');
    await signIn(aliceAgain, aliceName);
    await expect(aliceAgain).toHaveURL(/\/chats$/);
    await expect.poll(() => devicesWithKeys(request, bobApi.token, aliceApi.id)).toBe(2);
    await aliceAgain.goto(`/chats/${conversationId}`);
    const earlier = aliceAgain.getByRole('log', { name: 'Messages' }).getByTestId('message');
    await expect(earlier).toHaveCount(3);
    await expect(earlier.first()).toContainText('Sent before this device signed in');
    await expect(aliceAgain.getByText(canary)).toHaveCount(0);
    await screenshots(aliceAgain, 'conversation-new-device');
  });

  await test.step('what bob and alice send now is readable on both of alice\'s devices', async () => {
    const fromBob = `after-bob-${randomBytes(6).toString('hex')}`;
    await bob.getByRole('textbox', { name: 'Message' }).fill(fromBob);
    await bob.getByRole('textbox', { name: 'Message' }).press('Enter');
    for (const page of [alice, aliceAgain]) {
      await expect(page.getByRole('log', { name: 'Messages' }).getByTestId('message').filter({ hasText: fromBob })).toBeVisible();
    }
    const fromAlice = `after-alice-${randomBytes(6).toString('hex')}`;
    await alice.getByRole('textbox', { name: 'Message' }).fill(fromAlice);
    await alice.getByRole('textbox', { name: 'Message' }).press('Enter');
    for (const page of [bob, aliceAgain]) {
      await expect(page.getByRole('log', { name: 'Messages' }).getByTestId('message').filter({ hasText: fromAlice })).toBeVisible();
    }
    await alice.goto('/chats');
    await expect(alice.getByRole('list', { name: 'Conversations' }).getByRole('listitem')).toContainText(fromAlice);
  });

  await test.step('alice exports her conversations on her first device: the zip holds the texts decrypted and the photo without GPS', async () => {
    await alice.goto('/settings');
    const downloading = alice.waitForEvent('download');
    await alice.getByRole('button', { name: 'Export my conversations' }).click();
    const download = await downloading;
    expect(download.suggestedFilename()).toMatch(new RegExp(`^iris-conversations-${aliceName}-\\d{4}-\\d{2}-\\d{2}\\.zip$`));
    const entries = readStoredZip(readFileSync(await download.path()));
    expect(entries.get('README.txt')?.toString('utf8')).toContain('Format:    iris-conversations/1');
    const exported = JSON.parse(entries.get(`conversations/${conversationId}.json`)!.toString('utf8')) as {
      encrypted: boolean;
      peer: { username: string } | null;
      messages: { content?: { body?: string } | null; undecryptable?: unknown; attachments: { file?: string; name: string; mimeType: string }[] }[];
    };
    expect(exported.encrypted).toBe(true);
    expect(exported.peer?.username).toBe(bobName);
    const bodies = exported.messages.map((message) => message.content?.body);
    expect(bodies).toContain(canary);
    expect(bodies).toContain(replyCanary);
    expect(exported.messages.filter((message) => message.undecryptable)).toEqual([]);
    const [file] = exported.messages.flatMap((message) => message.attachments);
    expect(file).toMatchObject({ name: photoName, mimeType: 'image/jpeg' });
    const exportedPhoto = entries.get(file.file!)!;
    expect(mediaSignature(exportedPhoto)).toBe('jpeg');
    expect(hasGps(exportedPhoto)).toBe(false);
    await expect(alice.getByRole('status').filter({ hasText: 'Downloaded iris-conversations-' })).toContainText('1 file');
  });

  await test.step('signing out of the second browser deletes that device\'s keys from it', async () => {
    const stored = () =>
      aliceAgain.evaluate(async () => ({
        databases: (await indexedDB.databases()).map((database) => database.name ?? '').filter((name) => name.startsWith('iris-crypto-')).length,
        keys: Object.keys(localStorage).filter((key) => key.startsWith('iris.e2ee.')).length,
      }));
    expect(await stored()).toEqual({ databases: 2, keys: 2 });
    await aliceAgain.getByRole('button', { name: 'Sign out' }).click();
    await expect(aliceAgain).toHaveURL(/\/sign-in$/);
    await expect.poll(stored).toEqual({ databases: 0, keys: 0 });
  });

  for (const page of [alice, bob, aliceAgain]) expect(cspViolations(page)).toEqual([]);
});
