import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { type APIRequestContext, expect, type Page } from '@playwright/test';
import sharp from 'sharp';
import { jpegWithGps } from './fixtures';
import { apiLogin, befriendByApi, messageRow, newPage, PASSWORD, test, uniqueName } from './support';

async function registerByApi(request: APIRequestContext, username: string, displayName: string): Promise<void> {
  expect((await request.post('/api/auth/register', { data: { username, password: PASSWORD, displayName } })).status()).toBe(201);
}

async function signInAt(page: Page, username: string, path: string): Promise<void> {
  await page.goto('/sign-in');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page).toHaveURL(/\/chats/);
  await page.goto(path);
}

test('in an encrypted chat, alice sets a cropped picture and renames: bob sees both live; a block turns both composers read-only; unfriend and decline reach the other screen', async ({
  browser,
  request,
}) => {
  test.setTimeout(150_000);
  const names = { alice: uniqueName('pa'), bob: uniqueName('pb') };
  await registerByApi(request, names.alice, 'Alice Liddell');
  await registerByApi(request, names.bob, 'Bob Builder');
  await befriendByApi(request, names.alice, names.bob);
  const aliceApi = await apiLogin(request, names.alice);
  const bobApi = await apiLogin(request, names.bob);
  const asAlice = { authorization: `Bearer ${aliceApi.token}` };
  const asBob = { authorization: `Bearer ${bobApi.token}` };
  // Encrypted, as the app opens every new chat: what bob sees of alice's profile must reach him there too.
  const conversation = await (await request.post('/api/conversations', { headers: asAlice, data: { userId: bobApi.id, encrypted: true } })).json();
  expect(conversation.encrypted).toBe(true);

  const alice = await newPage(browser);
  const bob = await newPage(browser);
  await signInAt(bob, names.bob, `/chats/${conversation.id}`);
  const bobList = bob.getByRole('list', { name: 'Conversations' });
  const bobHeader = bob.locator('header.head');
  await expect(bobHeader.getByRole('heading', { level: 1 })).toHaveText('Alice Liddell');
  await expect(bob.getByTestId('encryption-state')).toHaveText('End-to-end encrypted');
  await expect(bobList.locator('app-avatar img')).toHaveCount(0);

  await test.step('alice says hello in the encrypted chat: bob reads it, the server holds only ciphertext', async () => {
    // Bob's device has published its keys, so alice's first message is encrypted for it.
    await expect
      .poll(async () => {
        const response = await request.post('/api/e2ee/keys/query', { headers: asAlice, data: { device_keys: { [`@${bobApi.id}:iris`]: [] } } });
        return Object.keys((await response.json()).device_keys?.[`@${bobApi.id}:iris`] ?? {}).length;
      })
      .toBe(1);
    await signInAt(alice, names.alice, `/chats/${conversation.id}`);
    await expect(alice.getByTestId('encryption-state')).toHaveText('End-to-end encrypted');
    const composer = alice.getByRole('textbox', { name: 'Message' });
    await composer.fill('Hello Bob');
    await composer.press('Enter');
    await expect(messageRow(bob, 'Hello Bob')).toBeVisible();
    const history = await (await request.get(`/api/conversations/${conversation.id}/messages`, { headers: asBob })).json();
    expect(history.items.map((message: { body: string | null; ciphertext: string | null }) => [message.body, message.ciphertext !== null])).toEqual([[null, true]]);
  });

  await test.step('alice chooses a photo, moves and zooms the square with the keyboard, and saves it', async () => {
    await alice.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    await expect(alice.getByTestId('picture-not-encrypted')).toContainText('not end-to-end encrypted');
    const photo = await jpegWithGps('me.jpg');
    await alice.getByTestId('picture-file').setInputFiles(photo.path);
    rmSync(dirname(photo.path), { recursive: true, force: true });
    const crop = alice.getByTestId('crop-area');
    await expect(crop).toBeFocused();
    await crop.press('+');
    await crop.press('+');
    for (let i = 0; i < 5; i++) await crop.press('ArrowDown');
    await alice.getByTestId('save-picture').click();
    await expect(alice.getByText('Profile picture saved.')).toBeVisible();
    await expect(alice.getByTestId('profile-picture').locator('app-avatar img')).toBeVisible();
  });

  await test.step('bob sees it at once in his chat list and the conversation header: a square WebP without the photo\'s metadata', async () => {
    await expect(bobList.locator('app-avatar img')).toBeVisible();
    await expect(bobHeader.locator('app-avatar img')).toBeVisible();
    const me = await (await request.get('/api/users/me', { headers: asAlice })).json();
    const file = await request.get(`/api/users/${aliceApi.id}/avatar?v=${me.avatarVersion}`, { headers: asBob });
    expect(file.status()).toBe(200);
    const meta = await sharp(await file.body()).metadata();
    expect([meta.format, meta.width, meta.height, meta.exif]).toEqual(['webp', 256, 256, undefined]);
  });

  await test.step('alice renames herself; bob\'s open chat and list show the new name', async () => {
    await alice.getByLabel('Display name').fill('Alice Pleasance');
    await alice.getByRole('button', { name: 'Save profile' }).click();
    await expect(bobHeader.getByRole('heading', { level: 1 })).toHaveText('Alice Pleasance');
    await expect(bobList.getByRole('link', { name: /Alice Pleasance/ })).toBeVisible();
  });

  await test.step('alice blocks bob: both composers become read-only, each with its own reason; unblocking changes hers live', async () => {
    await alice.goto(`/chats/${conversation.id}`);
    await expect(alice.getByRole('textbox', { name: 'Message' })).toBeEnabled();
    expect((await request.put(`/api/blocks/${bobApi.id}`, { headers: asAlice })).status()).toBe(204);
    await expect(alice.getByTestId('read-only')).toHaveText(/You blocked Bob Builder/);
    await expect(alice.getByRole('textbox', { name: 'Message' })).toBeDisabled();
    await expect(bob.getByTestId('read-only')).toHaveText("You can't reply to this conversation.");
    await expect(bob.getByRole('textbox', { name: 'Message' })).toBeDisabled();
    // The blocked side loses the picture too, and never reads the word "block".
    await expect(bobHeader.locator('app-avatar img')).toHaveCount(0);
    await expect(bob.locator('body')).not.toContainText(/block/i);
    expect((await request.delete(`/api/blocks/${bobApi.id}`, { headers: asAlice })).status()).toBe(204);
    await expect(alice.getByTestId('read-only')).toHaveText("You can't reply to this conversation.");
  });

  await test.step('friends again, then alice unfriends bob: his Friends page drops her at once', async () => {
    await befriendByApi(request, names.alice, names.bob);
    await expect(bob.getByRole('textbox', { name: 'Message' })).toBeEnabled();
    await bob.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Friends' }).click();
    const friends = bob.getByRole('list', { name: 'Friends', exact: true });
    await expect(friends).toContainText('Alice Pleasance');
    expect((await request.delete(`/api/friends/${bobApi.id}`, { headers: asAlice })).status()).toBe(204);
    await expect(friends).toHaveCount(0);
    await expect(bob.getByText('No friends yet')).toBeVisible();
  });

  await test.step('bob asks again and alice declines on her screen: his sent request disappears live', async () => {
    expect((await request.post('/api/friends/requests', { headers: asBob, data: { userId: aliceApi.id } })).status()).toBe(201);
    const sent = bob.getByRole('list', { name: 'Sent requests', exact: true });
    await expect(sent).toContainText('Alice Pleasance');
    await alice.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Friends' }).click();
    const incoming = alice.getByRole('list', { name: 'Incoming requests', exact: true });
    await incoming.getByRole('button', { name: /Decline/ }).click();
    await expect(sent).toHaveCount(0);
  });
});
