import { expect, type Page } from '@playwright/test';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { apiLogin, befriendByApi, newPage, PASSWORD, register, screenshots, signIn, test, uniqueName, VIEWPORTS } from './support';

const NEW_PASSWORD = 'a new and longer secret';

async function openSettings(page: Page): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
  await expect(page).toHaveURL(/\/settings$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Settings');
}

test('alice edits her profile, changes her password and theme, exports her data and deletes her account; bob sees "Deleted user"', async ({
  browser,
  request,
}) => {
  test.setTimeout(180_000);
  const aliceName = uniqueName('alice');
  const bobName = uniqueName('bob');
  const alice = await newPage(browser);
  const bob = await newPage(browser);
  let conversationId = '';

  await test.step('alice and bob register, become friends and exchange messages', async () => {
    await register(alice, aliceName, 'Alice Liddell');
    await register(bob, bobName, 'Bob Builder');
    await befriendByApi(request, aliceName, bobName);
    const asAlice = { authorization: `Bearer ${(await apiLogin(request, aliceName)).token}` };
    const bobApi = await apiLogin(request, bobName);
    const asBob = { authorization: `Bearer ${bobApi.token}` };
    const conversation = await (await request.post('/api/conversations', { headers: asAlice, data: { userId: bobApi.id, encrypted: false } })).json();
    conversationId = conversation.id;
    for (const [headers, body] of [
      [asAlice, 'Hi Bob, it is Alice'],
      [asBob, 'Hello Alice, nice to hear from you'],
    ] as const) {
      const sent = await request.post(`/api/conversations/${conversationId}/messages`, { headers, data: { clientId: randomUUID(), body } });
      expect(sent.status()).toBe(201);
    }
  });

  await test.step('alice opens Settings and sees her profile', async () => {
    await openSettings(alice);
    await expect(alice.getByTestId('username')).toHaveText(`@${aliceName}`);
    await expect(alice.getByLabel('Display name')).toHaveValue('Alice Liddell');
    await expect(alice.getByRole('button', { name: 'Save profile' })).toBeDisabled();
    await expect(alice.getByRole('radio', { name: 'System' })).toBeChecked();
    await screenshots(alice, 'settings');
  });

  await test.step('at 360 px wide nothing overflows sideways', async () => {
    await alice.setViewportSize({ width: 360, height: 740 });
    await expect(alice.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' })).toBeInViewport();
    await expect(alice.getByRole('button', { name: 'Sign out' })).toBeInViewport();
    expect(await alice.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await alice.setViewportSize(VIEWPORTS[0]);
  });

  await test.step('the display name is checked as she types, and the new one shows at once', async () => {
    const name = alice.getByLabel('Display name');
    await name.fill('   ');
    await name.blur();
    await expect(alice.getByText('Enter a display name.')).toBeVisible();
    await expect(alice.getByRole('button', { name: 'Save profile' })).toBeDisabled();
    await name.fill('x'.repeat(65));
    await expect(alice.getByText('At most 64 characters.')).toBeVisible();

    await name.fill('Alice Pleasance');
    await alice.getByLabel('Status message').fill('Down the rabbit hole');
    await alice.getByRole('button', { name: 'Save profile' }).click();
    await expect(alice.getByText('Profile saved')).toBeVisible();
    await expect(alice.getByTestId('current-user')).toContainText('Alice Pleasance');
    await expect(alice.getByRole('button', { name: 'Save profile' })).toBeDisabled();

    await alice.reload();
    await expect(alice.getByLabel('Display name')).toHaveValue('Alice Pleasance');
    await expect(alice.getByLabel('Status message')).toHaveValue('Down the rabbit hole');
  });

  await test.step('bob sees her new name', async () => {
    await bob.reload();
    await expect(bob.getByRole('list', { name: 'Conversations' }).getByRole('listitem')).toContainText('Alice Pleasance');
  });

  await test.step('choosing Dark applies it and is remembered; System follows the device again', async () => {
    await alice.getByRole('radio', { name: 'Dark' }).check();
    await expect(alice.locator('html')).toHaveClass(/theme-dark/);
    await expect(alice.getByText('Always dark on this device.')).toBeVisible();
    await alice.reload();
    await expect(alice.locator('html')).toHaveClass(/theme-dark/);
    await expect(alice.getByRole('radio', { name: 'Dark' })).toBeChecked();

    await alice.getByRole('radio', { name: 'System' }).check();
    await expect(alice.locator('html')).not.toHaveClass(/theme-(dark|light)/);
    await alice.emulateMedia({ colorScheme: 'dark' });
    await expect(alice.getByText("Follows your device's setting, now dark.")).toBeVisible();
    await alice.emulateMedia({ colorScheme: 'light' });
    await expect(alice.getByText("Follows your device's setting, now light.")).toBeVisible();
  });

  await test.step('a wrong current password is refused in words; the right one changes it and she stays signed in', async () => {
    await alice.getByLabel('Current password', { exact: true }).fill('not my password');
    await alice.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await alice.getByLabel('Confirm new password', { exact: true }).fill('something else');
    await alice.getByRole('button', { name: 'Change password' }).click();
    await expect(alice.getByText('The passwords do not match.')).toBeVisible();

    await alice.getByLabel('Confirm new password', { exact: true }).fill(NEW_PASSWORD);
    await alice.getByRole('button', { name: 'Show new password' }).click();
    await expect(alice.getByLabel('New password', { exact: true })).toHaveAttribute('type', 'text');
    await alice.getByRole('button', { name: 'Change password' }).click();
    await expect(alice.getByText('The current password is wrong.')).toBeVisible();

    await alice.getByLabel('Current password', { exact: true }).fill(PASSWORD);
    await alice.getByRole('button', { name: 'Change password' }).click();
    await expect(alice.getByText('Password changed. Your other devices were signed out.')).toBeVisible();
    await expect(alice.getByLabel('Current password', { exact: true })).toHaveValue('');
    await expect(alice.getByLabel('New password', { exact: true })).toHaveAttribute('type', 'password');

    // Still signed in, with a working socket and refresh cookie.
    await alice.reload();
    await expect(alice).toHaveURL(/\/settings$/);
    await expect(alice.getByTestId('current-user')).toContainText('Alice Pleasance');
  });

  await test.step('she signs out; the old password is refused and the new one works', async () => {
    await alice.getByRole('button', { name: 'Sign out' }).click();
    await expect(alice).toHaveURL(/\/sign-in$/);
    await signIn(alice, aliceName);
    await expect(alice.getByRole('alert')).toHaveText('Wrong username or password.');
    await signIn(alice, aliceName, NEW_PASSWORD);
    await expect(alice).toHaveURL(/\/chats$/);
  });

  await test.step('she exports her data: a zip with her profile and the conversation; a second export must wait', async () => {
    await openSettings(alice);
    const download = alice.waitForEvent('download');
    await alice.getByRole('button', { name: 'Export my data' }).click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(new RegExp(`^iris-export-${aliceName}-\\d{4}-\\d{2}-\\d{2}\\.zip$`));
    const zip = readFileSync((await file.path())!);
    expect(zip.subarray(0, 2).toString('latin1')).toBe('PK');
    // Entry names are stored uncompressed in the zip's directory.
    const names = zip.toString('latin1');
    expect(names).toContain('profile.json');
    expect(names).toContain('friends.json');
    expect(names).toContain(`conversations/${conversationId}.json`);
    await expect(alice.getByText(`Downloaded ${file.suggestedFilename()}.`)).toBeVisible();

    await alice.getByRole('button', { name: 'Export my data' }).click();
    await expect(alice.getByRole('alert')).toHaveText(/once every 10 minutes\. Try again in 10 minutes\./);
  });

  await test.step('she deletes her account with her password and lands on sign-in', async () => {
    await alice.getByRole('button', { name: 'Delete my account…' }).click();
    const dialog = alice.getByRole('dialog', { name: 'Delete your account?' });
    await expect(dialog).toContainText('every message you sent');
    await expect(dialog).toContainText('Deleted user');
    await expect(dialog.getByLabel('Your password', { exact: true })).toBeFocused();
    await screenshots(alice, 'settings-delete');
    await dialog.getByLabel('Your password', { exact: true }).fill(PASSWORD);
    await dialog.getByRole('button', { name: 'Delete my account' }).click();
    await expect(dialog.getByText('That password is not right.')).toBeVisible();

    await dialog.getByLabel('Your password', { exact: true }).fill(NEW_PASSWORD);
    await dialog.getByRole('button', { name: 'Delete my account' }).click();
    await expect(alice).toHaveURL(/\/sign-in$/);
    await expect(alice.getByText('Your account was deleted')).toBeVisible();
    await expect(alice.getByRole('dialog')).toHaveCount(0);
  });

  await test.step('she can no longer sign in, and a reload does not bring the session back', async () => {
    await signIn(alice, aliceName, NEW_PASSWORD);
    await expect(alice.getByRole('alert')).toHaveText('Wrong username or password.');
    await alice.goto('/chats');
    await expect(alice).toHaveURL(/\/sign-in$/);
  });

  await test.step('bob sees "Deleted user" in his list and in the conversation, which is read-only', async () => {
    await bob.reload();
    const item = bob.getByRole('list', { name: 'Conversations' }).getByRole('listitem');
    await expect(item).toContainText('Deleted user');
    await expect(item).not.toContainText('Alice Pleasance');
    await item.getByRole('link').click();
    // While the chat opens, the list's title is still a level-1 heading beside the conversation's.
    await expect(bob.getByRole('heading', { level: 1, name: 'Deleted user', exact: true })).toBeVisible();
    const log = bob.getByRole('log', { name: 'Messages' });
    await expect(log).toContainText('Hello Alice, nice to hear from you');
    await expect(log).not.toContainText('Hi Bob, it is Alice');
    await expect(bob.getByTestId('peer-deleted')).toContainText('This account was deleted');
    await expect(bob.getByRole('textbox', { name: 'Message' })).toBeDisabled();
  });
});
