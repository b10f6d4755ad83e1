import { expect } from '@playwright/test';
import config from '../playwright.config';
import { fakeMicrophoneArgs } from './fixtures';
import { dumpServerState } from './server-dump';
import { apiLogin, befriendByApi, newPage, register, test, uniqueName } from './support';

const launchOptions = config.use?.launchOptions ?? {};
test.use({ launchOptions: { ...launchOptions, args: [...(launchOptions.args ?? []), ...fakeMicrophoneArgs()] } });

/** WebM and Matroska start with the EBML magic number. */
const EBML = Buffer.from([0x1a, 0x45, 0xdf, 0xa3]);

test('a voice message is recorded with its length and waveform, can be cancelled, and plays for the peer in an encrypted chat', async ({ browser, request }) => {
  test.setTimeout(180_000);
  const aliceName = uniqueName('alice');
  const bobName = uniqueName('bob');
  const alice = await newPage(browser);
  const bob = await newPage(browser);
  await register(alice, aliceName, 'Alice Liddell');
  await register(bob, bobName, 'Bob Builder');
  await befriendByApi(request, aliceName, bobName);
  const bobApi = await apiLogin(request, bobName);
  const encryptedUploads: string[] = [];
  alice.on('response', (response) => {
    if (response.request().method() === 'POST' && new URL(response.url()).pathname === '/api/attachments/encrypted' && response.ok()) {
      void response.json().then((body: { id: string }) => encryptedUploads.push(body.id), () => undefined);
    }
  });

  await test.step('alice opens an end-to-end encrypted chat with bob', async () => {
    await alice.goto('/friends');
    await alice.getByRole('button', { name: 'Message Bob Builder' }).first().click();
    await expect(alice).toHaveURL(/\/chats\/[0-9a-f-]{36}$/);
    await bob.goto(`/chats/${alice.url().split('/').pop()}`);
    for (const page of [alice, bob]) await expect(page.getByTestId('encryption-state')).toHaveText('End-to-end encrypted');
    await expect
      .poll(async () => {
        const response = await request.post('/api/e2ee/keys/query', {
          headers: { authorization: `Bearer ${bobApi.token}` },
          data: { device_keys: { [`@${(await apiLogin(request, aliceName)).id}:iris`]: [] } },
        });
        return Object.keys((await response.json()).device_keys ?? {}).length;
      })
      .toBe(1);
  });

  const recorder = alice.getByRole('group', { name: 'Voice message' });
  await test.step('a recording shows its length and a moving waveform, and Cancel drops it', async () => {
    await alice.getByRole('button', { name: 'Record a voice message' }).click();
    await expect(recorder).toBeVisible();
    await expect(recorder.getByTestId('voice-duration')).not.toHaveText('0:00');
    await expect.poll(() => recorder.locator('.bar').count()).toBeGreaterThan(5);
    const heights = await recorder.locator('.bar').evaluateAll((bars) => bars.map((bar) => (bar as HTMLElement).style.height));
    expect(heights.some((height) => parseFloat(height) > 8)).toBe(true);
    await recorder.getByRole('button', { name: 'Cancel the voice message' }).click();
    await expect(recorder).toHaveCount(0);
    await expect(alice.getByRole('list', { name: 'Attachments to send' })).toHaveCount(0);
    await expect(alice.getByRole('log', { name: 'Messages' }).getByTestId('message')).toHaveCount(0);
  });

  await test.step('the next recording is sent and bob plays it inline', async () => {
    await alice.getByRole('button', { name: 'Record a voice message' }).click();
    await expect(recorder.getByTestId('voice-duration')).toHaveText(/^0:0[2-9]$/, { timeout: 15_000 });
    await recorder.getByRole('button', { name: 'Send' }).click();
    await expect(recorder).toHaveCount(0);
    const sent = alice.getByRole('log', { name: 'Messages' }).getByTestId('message').last();
    await expect(sent.getByTestId('audio')).toBeVisible({ timeout: 30_000 });

    const received = bob.getByRole('log', { name: 'Messages' }).getByTestId('audio');
    await expect(received).toBeVisible({ timeout: 30_000 });
    await expect(received).toHaveAttribute('aria-label', /^voice-message-[\d-]+\.webm$/);
    // The decrypted recording is a real WebM the browser can read.
    await expect.poll(() => received.evaluate((audio: HTMLAudioElement) => audio.readyState)).toBeGreaterThanOrEqual(1);
    // Both chat lists call it a voice message with its length, as other messengers do, not an audio file.
    for (const page of [alice, bob]) await expect(page.getByRole('list', { name: 'Conversations' })).toContainText(/🎤 Voice message \(0:0[1-9]\)/);
  });

  await test.step('the server stored only an opaque blob, not a WebM', async () => {
    expect(encryptedUploads.length).toBeGreaterThanOrEqual(1);
    const { files } = await dumpServerState();
    expect(files.length).toBeGreaterThan(0);
    expect(files.filter((file) => file.head.subarray(0, 4).equals(EBML)).map((file) => file.path)).toEqual([]);
  });
});
