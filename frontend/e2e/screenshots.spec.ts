import { expect, type Page } from '@playwright/test';
import { readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import config from '../playwright.config';
import { fakeMicrophoneArgs, jpegWithGps } from './fixtures';
import { apiLogin, befriendByApi, DOC_SCREENSHOTS, messageLog as log, messageRow as row, newPage, openMessageActions as openActions, register, screenshots, test, uniqueName, VIEWPORTS } from './support';

const launchOptions = config.use?.launchOptions ?? {};
test.use({ launchOptions: { ...launchOptions, args: [...(launchOptions.args ?? []), ...fakeMicrophoneArgs()] } });


// The README's screenshots (docs/screenshots), at 1280 and 390 px, light and dark: the chat list, and an
// encrypted conversation with a reply, reactions, a photo and a voice message, each made through the UI.
test('screenshots for the README: an encrypted conversation with a reply, reactions, a photo and a voice message, and the chat list', async ({ browser, request }) => {
  test.setTimeout(240_000);
  const aliceName = uniqueName('alice');
  const bobName = uniqueName('bob');
  const carolName = uniqueName('carol');
  const alice = await newPage(browser);
  const bob = await newPage(browser);
  await register(alice, aliceName, 'Alice Liddell');
  await register(bob, bobName, 'Bob Builder');
  await befriendByApi(request, aliceName, bobName);
  const bobApi = await apiLogin(request, bobName);
  const photo = await jpegWithGps('ferry.jpg');

  try {
    await test.step('bob has a profile picture; carol, a friend with a plaintext chat, wrote to alice', async () => {
      const avatar = await request.put('/api/users/me/avatar', {
        headers: { authorization: `Bearer ${bobApi.token}` },
        multipart: { file: { name: 'bob.jpg', mimeType: 'image/jpeg', buffer: readFileSync(photo.path) } },
      });
      expect(avatar.ok()).toBe(true);
      const carolPage = await newPage(browser);
      await register(carolPage, carolName, 'Carol Danvers');
      await carolPage.context().close();
      await befriendByApi(request, aliceName, carolName);
      const aliceApi = await apiLogin(request, aliceName);
      const carolApi = await apiLogin(request, carolName);
      const opened = await request.post('/api/conversations', { headers: { authorization: `Bearer ${carolApi.token}` }, data: { userId: aliceApi.id, encrypted: false } });
      expect(opened.ok()).toBe(true);
      const sent = await request.post(`/api/conversations/${(await opened.json()).id}/messages`, {
        headers: { authorization: `Bearer ${carolApi.token}` },
        data: { clientId: crypto.randomUUID(), body: 'Lunch on Friday?' },
      });
      expect(sent.ok()).toBe(true);
    });

    await test.step('alice opens an encrypted chat with bob', async () => {
      await alice.goto('/friends');
      await alice.getByRole('button', { name: 'Message Bob Builder' }).first().click();
      await expect(alice).toHaveURL(/\/chats\/[0-9a-f-]{36}$/);
      await bob.goto(`/chats/${alice.url().split('/').pop()}`);
      for (const page of [alice, bob]) await expect(page.getByTestId('encryption-state')).toHaveText('End-to-end encrypted');
    });

    const question = 'Are we still on for the ferry on Saturday?';
    const answer = 'Yes! The 9:40 from the harbour';
    await test.step('alice asks, bob replies from the menu, and both react', async () => {
      const composer = alice.getByRole('textbox', { name: 'Message' });
      await composer.fill(question);
      await composer.press('Enter');
      // Bob's page has only just loaded: its crypto (WASM) starts and syncs before it can read the first
      // message, which on a loaded machine takes longer than the default timeout, as the media steps do.
      await expect(row(bob, question)).toBeVisible({ timeout: 30_000 });
      await openActions(bob, question);
      await bob.getByRole('menuitem', { name: 'Reply' }).click();
      const bobComposer = bob.getByRole('textbox', { name: 'Message' });
      await bobComposer.fill(answer);
      await bobComposer.press('Enter');
      await expect(row(alice, answer).getByTestId('reply-quote')).toContainText(question);
      await openActions(alice, answer);
      await alice.getByRole('menuitem', { name: 'React' }).click();
      await alice.getByRole('menuitem', { name: 'React with ❤️' }).click();
      await openActions(bob, question);
      await bob.getByRole('menuitem', { name: 'React' }).click();
      await bob.getByRole('menuitem', { name: 'React with 👍' }).click();
      await expect(row(alice, question).first().getByTestId('reaction')).toBeVisible();
      await expect(row(bob, answer).first().getByTestId('reaction')).toBeVisible();
    });

    await test.step('alice sends a photo and a voice message', async () => {
      const composer = alice.getByRole('textbox', { name: 'Message' });
      await alice.getByTestId('file-input').setInputFiles(photo.path);
      await composer.fill('Here is the ferry we take');
      await composer.press('Enter');
      const sent = row(alice, 'Here is the ferry we take');
      await expect(sent.getByRole('img', { name: 'ferry.jpg' })).toBeVisible({ timeout: 30_000 });
      await expect.poll(() => sent.getByTestId('thumbnail').evaluate((image: HTMLImageElement) => (image.complete ? image.naturalWidth : 0))).toBeGreaterThan(0);

      await alice.getByRole('button', { name: 'Record a voice message' }).click();
      const recorder = alice.getByRole('group', { name: 'Voice message' });
      await expect(recorder.getByTestId('voice-duration')).toHaveText(/^0:0[2-9]$/, { timeout: 15_000 });
      await recorder.getByRole('button', { name: 'Send' }).click();
      await expect(log(alice).getByTestId('message').last().getByTestId('audio')).toBeVisible({ timeout: 30_000 });
      await expect(log(bob).getByTestId('audio')).toBeVisible({ timeout: 30_000 });
    });

    await test.step('at 390 px the header still shows who the chat is with, beside "Verify"', async () => {
      await alice.setViewportSize(VIEWPORTS[1]);
      const verify = alice.getByRole('button', { name: 'Verify Bob Builder' });
      const shown = () => verify.evaluate((button: HTMLElement) => button.innerText.trim());
      await expect.poll(shown).toBe('Verify');
      const heading = alice.getByRole('heading', { level: 1, name: 'Bob Builder' });
      await expect.poll(async () => (await heading.boundingBox())?.width ?? 0).toBeGreaterThan(40);
      await alice.setViewportSize(VIEWPORTS[0]);
      await expect.poll(shown).toBe('Verify Bob Builder');
    });

    await test.step('screenshots of the conversation and the chat list', async () => {
      await alice.getByRole('textbox', { name: 'Message' }).blur();
      await screenshots(alice, 'conversation', DOC_SCREENSHOTS);
      await alice.goto('/chats');
      await expect(alice.getByRole('list', { name: 'Conversations' }).getByRole('link')).toHaveCount(2);
      await screenshots(alice, 'chats', DOC_SCREENSHOTS);
    });
  } finally {
    rmSync(dirname(photo.path), { recursive: true, force: true });
  }
});
