import { expect, type Locator } from '@playwright/test';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { jpegWithGps } from './fixtures';
import { apiLogin, befriendByApi, newPage, PASSWORD, register, test, uniqueName, VIEWPORTS } from './support';

async function box(locator: Locator): Promise<{ x: number; y: number; width: number; height: number }> {
  const found = await locator.boundingBox();
  expect(found).not.toBeNull();
  return found!;
}

test('chats sit beside the open conversation at 1280 px and one at a time at 390 px; the keyboard moves between chats', async ({ browser, request }) => {
  test.setTimeout(180_000);
  const aliceName = uniqueName('alice');
  const bobName = uniqueName('bob');
  const carolName = uniqueName('carol');
  const alice = await newPage(browser);
  await register(alice, aliceName, 'Alice Liddell');
  const ids: Record<'bob' | 'carol', string> = { bob: '', carol: '' };

  await test.step('bob and carol are alice\'s friends and write to her (through the API)', async () => {
    const aliceApi = await apiLogin(request, aliceName);
    for (const [key, name, displayName, lines] of [
      ['carol', carolName, 'Carol Singer', ['Choir practice moved to Thursday']],
      ['bob', bobName, 'Bob Builder', ['Hi Alice!', 'Are we still on for the ferry on Saturday?']],
    ] as const) {
      expect((await request.post('/api/auth/register', { data: { username: name, password: PASSWORD, displayName } })).status()).toBe(201);
      await befriendByApi(request, aliceName, name);
      const api = await apiLogin(request, name);
      const headers = { authorization: `Bearer ${api.token}` };
      const conversation = await (await request.post('/api/conversations', { headers, data: { userId: aliceApi.id, encrypted: false } })).json();
      ids[key] = conversation.id;
      for (const body of lines) {
        expect((await request.post(`/api/conversations/${conversation.id}/messages`, { headers, data: { clientId: randomUUID(), body } })).status()).toBe(201);
      }
    }
  });

  const list = alice.getByRole('list', { name: 'Conversations' });
  const log = alice.getByRole('log', { name: 'Messages' });
  const composer = alice.getByRole('textbox', { name: 'Message' });

  await test.step('at 1280 px the list shows with an invitation to pick a chat; opening one keeps the list beside it', async () => {
    await alice.goto('/chats');
    await expect(list.getByRole('link')).toHaveCount(2);
    await expect(alice.getByText('Pick a chat')).toBeVisible();
    await list.getByRole('link', { name: /Bob Builder/ }).click();
    await expect(alice).toHaveURL(new RegExp(`/chats/${ids.bob}$`));
    await expect(log.getByText('Are we still on for the ferry on Saturday?')).toBeVisible();
    await expect(list).toBeVisible();
    await expect(list.getByRole('link', { name: /Bob Builder/ })).toHaveAttribute('aria-current', 'page');
    await expect(alice.getByRole('link', { name: 'Back to chats' })).toBeHidden();
    const [listBox, logBox, composerBox] = [await box(list), await box(log), await box(composer)];
    expect(listBox.x + listBox.width).toBeLessThanOrEqual(logBox.x);
    expect(composerBox.y + composerBox.height).toBeLessThanOrEqual(VIEWPORTS[0].height);
  });

  await test.step('Alt+Down and Alt+Up open the next and the previous chat; Ctrl+K searches the chats', async () => {
    await alice.keyboard.press('Alt+ArrowDown');
    await expect(alice).toHaveURL(new RegExp(`/chats/${ids.carol}$`));
    await expect(log.getByText('Choir practice moved to Thursday')).toBeVisible();
    await alice.keyboard.press('Alt+ArrowUp');
    await expect(alice).toHaveURL(new RegExp(`/chats/${ids.bob}$`));

    await alice.keyboard.press('Control+k');
    const search = alice.getByRole('searchbox', { name: 'Search chats' });
    await expect(search).toBeFocused();
    await alice.keyboard.type('carol');
    await expect(list.getByRole('link')).toHaveCount(1);
    await expect(list.getByRole('link')).toContainText('Carol Singer');
    await alice.keyboard.press('Escape');
    await expect(list.getByRole('link')).toHaveCount(2);
  });

  await test.step('from another page, the Chats tab and a friend\'s Message button lead into the panes', async () => {
    await alice.goto('/settings');
    await alice.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Chats' }).click();
    await expect(alice.getByText('Pick a chat')).toBeVisible();
    await expect(alice.getByRole('heading', { name: 'Chats', exact: true })).toBeFocused();
    await alice.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Friends' }).click();
    await alice.getByRole('button', { name: 'Message Carol Singer' }).click();
    await expect(alice).toHaveURL(new RegExp(`/chats/${ids.carol}$`));
    await expect(log.getByText('Choir practice moved to Thursday')).toBeVisible();
    await expect(list.getByRole('link', { name: /Carol Singer/ })).toHaveAttribute('aria-current', 'page');
  });

  await test.step('a skip link leads past the top bar to the page', async () => {
    await alice.goto('/chats');
    await expect(list.getByRole('link')).toHaveCount(2);
    await alice.keyboard.press('Tab');
    const skip = alice.getByRole('link', { name: 'Skip to content' });
    await expect(skip).toBeFocused();
    await expect(skip).toBeInViewport();
    await alice.keyboard.press('Enter');
    await expect(alice.getByRole('heading', { name: 'Chats', exact: true })).toBeFocused();
    await expect(alice).toHaveURL(/\/chats$/);
  });

  await test.step('at 390 px one pane at a time: the list, then the conversation with a way back', async () => {
    await alice.setViewportSize(VIEWPORTS[1]);
    await expect(alice.getByText('Pick a chat')).toBeHidden();
    await list.getByRole('link', { name: /Bob Builder/ }).click();
    await expect(log.getByText('Are we still on for the ferry on Saturday?')).toBeVisible();
    await expect(list).toBeHidden();
    expect(await alice.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(VIEWPORTS[1].width);
    const composerBox = await box(composer);
    expect(composerBox.y + composerBox.height).toBeLessThanOrEqual(VIEWPORTS[1].height);
    await alice.getByRole('link', { name: 'Back to chats' }).click();
    await expect(alice).toHaveURL(/\/chats$/);
    await expect(list).toBeVisible();
    await expect(log).toBeHidden();
    await alice.setViewportSize(VIEWPORTS[0]);
  });

  await test.step('alice sends bob a photo: it shows in the right pane', async () => {
    await alice.goto(`/chats/${ids.bob}`);
    const photo = await jpegWithGps('ferry.jpg');
    try {
      await alice.getByTestId('file-input').setInputFiles(photo.path);
      await composer.fill('Yes! Here is the ferry we take');
      await composer.press('Enter');
      const sent = log.getByTestId('message').filter({ hasText: 'Here is the ferry we take' });
      await expect(sent.getByRole('img', { name: 'ferry.jpg' })).toBeVisible({ timeout: 30_000 });
      await expect.poll(() => sent.getByTestId('thumbnail').evaluate((image: HTMLImageElement) => (image.complete ? image.naturalWidth : 0))).toBeGreaterThan(0);
    } finally {
      rmSync(dirname(photo.path), { recursive: true, force: true });
    }
  });
});
