import { expect } from '@playwright/test';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { gpsCoordinates, hasGps, jpegWithGps } from './fixtures';
import { dumpServerState, mediaSignatureFiles, occurrences, occurrencesByEncoding, recordRedisTraffic } from './server-dump';
import { apiLogin, befriendByApi, newPage, PASSWORD, register, test, uniqueName } from './support';

// The harness that will prove an encrypted conversation leaves no plaintext on the server, checked on
// today's plaintext conversations: the scanners must find the text where the server keeps or carries
// it. The encrypted spec flips the database and Redis traffic expectations to zero and the media one
// to none.
test('harness self-test, plaintext path: the server dump finds the text in the database, never in the log, and only GPS-free images', async ({ browser, request }) => {
  test.setTimeout(90_000);
  const canary = `plaintext-canary-${randomBytes(8).toString('hex')}`;
  const aliceName = uniqueName('alice');
  const bobName = uniqueName('bob');
  const alice = await newPage(browser);
  const bob = await newPage(browser);
  await register(alice, aliceName, 'Alice Liddell');
  await register(bob, bobName, 'Bob Builder');
  await befriendByApi(request, aliceName, bobName);
  const aliceApi = await apiLogin(request, aliceName);
  const bobApi = await apiLogin(request, bobName);
  const opened = await request.post('/api/conversations', { headers: { authorization: `Bearer ${aliceApi.token}` }, data: { userId: bobApi.id, encrypted: false } });
  expect(opened.ok()).toBe(true);
  const conversationId = (await opened.json()).id as string;
  for (const page of [alice, bob]) {
    await page.goto(`/chats/${conversationId}`);
    await expect(page.getByText('No messages yet. Say hello!')).toBeVisible();
  }
  const bobLog = bob.getByRole('log', { name: 'Messages' });
  const photo = await jpegWithGps('eiffel.jpg');
  expect(gpsCoordinates(photo.buffer)?.latitude).toBeCloseTo(48.8584, 3);

  // Every image bob's browser is served, to check what the receiver gets.
  const received: Buffer[] = [];
  bob.on('response', (response) => {
    if (/\/api\/attachments\/[^/]+(\/thumbnail)?$/.test(new URL(response.url()).pathname) && response.ok()) {
      void response.body().then((body) => received.push(body), () => undefined);
    }
  });

  // The request ids of alice's sends: the log is shared by every spec of the run, so the scan looks for
  // these two requests, not for a count of the route.
  const sendRequestIds: string[] = [];
  alice.on('response', (response) => {
    if (response.request().method() === 'POST' && new URL(response.url()).pathname === `/api/conversations/${conversationId}/messages`) {
      sendRequestIds.push(response.headers()['x-request-id']);
    }
  });
  let uploadRequestId = '';
  const traffic = await recordRedisTraffic();
  try {
    await test.step('alice sends the canary text and a photo with GPS; bob sees both', async () => {
      const composer = alice.getByRole('textbox', { name: 'Message' });
      await composer.fill(canary);
      await composer.press('Enter');
      await expect(bobLog.getByTestId('message').filter({ hasText: canary })).toBeVisible();

      const uploaded = alice.waitForResponse((response) => response.request().method() === 'POST' && new URL(response.url()).pathname === '/api/attachments');
      await alice.getByTestId('file-input').setInputFiles(photo.path);
      uploadRequestId = (await uploaded).headers()['x-request-id'];
      await expect(alice.getByRole('list', { name: 'Attachments to send' }).getByTestId('upload')).toContainText('Uploaded');
      await alice.getByRole('button', { name: 'Send' }).click();
      const image = bobLog.getByRole('img', { name: 'eiffel.jpg' });
      await expect(image).toBeVisible();
      await expect.poll(() => image.evaluate((element: HTMLImageElement) => (element.complete ? element.naturalWidth : 0))).toBeGreaterThan(0);
      await expect.poll(() => received.length).toBeGreaterThan(0);
    });

    // A positive control for the log scan: the server logs a well-formed x-request-id as it is.
    const logCanary = `log-canary-${randomBytes(8).toString('hex')}`;
    expect((await request.get('/api/health', { headers: { 'x-request-id': logCanary } })).ok()).toBe(true);
    const state = await dumpServerState();
    const published = await traffic.stop();

    await test.step('the database dump holds the text (the scanner catches plaintext) but no password', async () => {
      expect(occurrences(state.database, canary)).toBeGreaterThanOrEqual(1);
      expect(occurrencesByEncoding(state.database, PASSWORD)).toEqual({});
    });

    await test.step('the log records every request (and a request id sent as a control) but never the text nor a password', async () => {
      // One line per answer (the server under test logs at trace, where every answer is logged).
      const requests = state.log.split('\n').filter((line) => /"msg":"request (completed|errored)"/.test(line));
      // Route patterns, never ids: the log names no conversation. A send goes over the socket when it is up
      // (message.send: no request, and nothing logged for it), else over REST, logged as every request is.
      for (const id of sendRequestIds) {
        expect(requests.filter((line) => line.includes(`"req":{"method":"POST","url":"/api/conversations/:id/messages","id":"${id}"}`))).toHaveLength(1);
      }
      expect(requests.filter((line) => line.includes(conversationId))).toEqual([]);
      expect(requests.filter((line) => line.includes(`"req":{"method":"POST","url":"/api/attachments","id":"${uploadRequestId}"}`))).toHaveLength(1);
      expect(occurrences(state.log, logCanary)).toBeGreaterThanOrEqual(1);
      expect(occurrencesByEncoding(state.log, canary)).toEqual({});
      expect(occurrencesByEncoding(state.log, PASSWORD)).toEqual({});
    });

    await test.step('the Redis dump sees the run\'s keys (presence of both users) and not the text', async () => {
      expect(state.redis).toContain(`presence:user:${aliceApi.id}`);
      expect(state.redis).toContain(`presence:user:${bobApi.id}`);
      expect(occurrencesByEncoding(state.redis, canary)).toEqual({});
    });

    await test.step('the text crosses Redis in the Socket.IO broadcast to bob: the traffic recorder catches it', async () => {
      expect(occurrences(published, canary)).toBeGreaterThanOrEqual(1);
    });

    await test.step('the stored images are re-encoded: recognisable media, none with GPS, never the original bytes', async () => {
      const media = mediaSignatureFiles(state.files);
      expect(media.length).toBeGreaterThanOrEqual(1);
      expect(media.filter((file) => hasGps(file.content)).map((file) => file.path)).toEqual([]);
      expect(state.files.filter((file) => file.content.equals(photo.buffer)).map((file) => file.path)).toEqual([]);
      expect(state.files.filter((file) => occurrences(file.content, canary) > 0).map((file) => file.path)).toEqual([]);
    });

    await test.step('what bob\'s browser received carries no GPS either', async () => {
      expect(received.filter((body) => hasGps(body))).toHaveLength(0);
    });
  } finally {
    await traffic.stop();
    rmSync(dirname(photo.path), { recursive: true, force: true });
  }
});
