import { type APIRequestContext, expect } from '@playwright/test';
import { randomBytes, randomUUID } from 'node:crypto';
import { apiLogin, befriendByApi, newPage, PASSWORD, screenshots, signIn, test, VIEWPORTS } from './support';

// run.mjs starts the backend with this admin (ADMIN_USERNAME/ADMIN_PASSWORD) and passes it on.
const ADMIN_USERNAME = process.env['E2E_ADMIN_USERNAME'] ?? '';
const ADMIN_PASSWORD = process.env['E2E_ADMIN_PASSWORD'] ?? '';

async function registerByApi(request: APIRequestContext, username: string, displayName: string): Promise<void> {
  const response = await request.post('/api/auth/register', { data: { username, password: PASSWORD, displayName } });
  expect(response.status()).toBe(201);
}

test('an admin finds a user, sees what erasing them deletes, erases them, and sees it in the audit trail and the job runs', async ({
  browser,
  request,
}) => {
  test.skip(!ADMIN_USERNAME || !ADMIN_PASSWORD, 'needs E2E_ADMIN_USERNAME/E2E_ADMIN_PASSWORD (set by e2e/run.mjs)');
  test.setTimeout(180_000);
  // One tag for both users, so that a search finds the two of them and nobody else.
  const tag = randomBytes(3).toString('hex');
  const erin = `erin_${tag}`;
  const finn = `finn_${tag}`;

  await test.step('erin and finn register, become friends, and erin writes three messages (through the API)', async () => {
    await registerByApi(request, erin, `Erin ${tag}`);
    await registerByApi(request, finn, `Finn ${tag}`);
    await befriendByApi(request, erin, finn);
    const erinApi = await apiLogin(request, erin);
    const finnApi = await apiLogin(request, finn);
    const asErin = { authorization: `Bearer ${erinApi.token}` };
    const conversation = await (await request.post('/api/conversations', { headers: asErin, data: { userId: finnApi.id, encrypted: false } })).json();
    for (const body of ['Hello Finn', 'Are you there?', 'See you tomorrow']) {
      const sent = await request.post(`/api/conversations/${conversation.id}/messages`, { headers: asErin, data: { clientId: randomUUID(), body } });
      expect(sent.status()).toBe(201);
    }
  });

  const admin = await newPage(browser);
  await test.step('the admin signs in and sees the Admin tab', async () => {
    await admin.goto('/sign-in');
    await signIn(admin, ADMIN_USERNAME, ADMIN_PASSWORD);
    await expect(admin).toHaveURL(/\/chats$/);
    const tab = admin.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' });
    await expect(tab).toBeVisible();
    await tab.click();
    await expect(admin).toHaveURL(/\/admin\/users$/);
    await expect(admin.getByRole('heading', { name: 'Administration' })).toBeVisible();
  });

  const rows = admin.getByTestId('admin-user-row');
  await test.step('a search as she types finds both users, with their message counts', async () => {
    await expect(rows.filter({ hasText: `@${ADMIN_USERNAME}` })).toBeVisible();
    await admin.getByLabel('Search users').fill(tag);
    await expect(rows).toHaveCount(2);
    await expect(admin.getByRole('status').filter({ hasText: `2 users matching “${tag}”` })).toBeVisible();
    const erinRow = rows.filter({ hasText: `@${erin}` });
    await expect(erinRow).toContainText(`Erin ${tag}`);
    await expect(erinRow.getByRole('cell').nth(3)).toHaveText('3');
    await expect(rows.filter({ hasText: `@${finn}` }).getByRole('cell').nth(3)).toHaveText('0');
    await screenshots(admin, 'admin-users');
  });

  await test.step('erasing erin first shows the dry-run counts and waits for her username', async () => {
    await rows.filter({ hasText: `@${erin}` }).getByRole('button', { name: `Erase ${erin}` }).click();
    const dialog = admin.getByRole('dialog', { name: `Erase Erin ${tag}?` });
    await expect(dialog).toBeVisible();
    const summary = dialog.getByTestId('erase-summary');
    await expect(summary).toContainText('3 messages they sent');
    await expect(summary).toContainText('1 friendship');
    await expect(summary).toContainText('their side of 1 conversation');
    await expect(summary).toContainText('signed-in device');
    const confirm = dialog.getByRole('button', { name: 'Erase account' });
    await expect(confirm).toBeDisabled();
    await dialog.getByLabel(`Type ${erin} to confirm`).fill(finn);
    await expect(confirm).toBeDisabled();
    await expect(summary).toBeVisible();
    await screenshots(admin, 'admin-erase');
    // From the keyboard: the field has the focus once the counts are there, and Enter erases.
    const field = dialog.getByLabel(`Type ${erin} to confirm`);
    await expect(field).toBeFocused();
    await field.fill(erin);
    await expect(confirm).toBeEnabled();
    await field.press('Enter');
    await expect(dialog).toBeHidden();
  });

  await test.step('the only admin cannot erase their own account, and is told why', async () => {
    await admin.getByLabel('Search users').fill(ADMIN_USERNAME);
    const own = rows.filter({ hasText: `@${ADMIN_USERNAME}` });
    await expect(own).toContainText('You');
    await own.getByRole('button', { name: `Erase ${ADMIN_USERNAME}` }).click();
    const dialog = admin.getByRole('dialog');
    await expect(dialog.getByRole('alert')).toHaveText(/This is the last administrator, so the account cannot be erased/);
    await expect(dialog.getByRole('button', { name: 'Erase account' })).toBeDisabled();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toBeHidden();
    await admin.getByLabel('Search users').fill(tag);
    await expect(rows).toHaveCount(1);
  });

  await test.step('erin is gone from the list, and from the server', async () => {
    await expect(admin.getByText(`Erased @${erin} with 3 messages they sent`)).toBeVisible();
    await expect(rows).toHaveCount(1);
    await expect(rows).toContainText(`@${finn}`);
    await admin.reload();
    await admin.getByLabel('Search users').fill(erin);
    await expect(admin.getByText(`No user matches “${erin}”`)).toBeVisible();
    const login = await request.post('/api/auth/login', { data: { username: erin, password: PASSWORD } });
    expect(login.status()).toBe(401);
  });

  await test.step('the audit trail shows the erasure first, by the admin, with its counts', async () => {
    await admin.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Audit trail' }).click();
    await expect(admin).toHaveURL(/\/admin\/audit$/);
    const newest = admin.getByTestId('audit-event').first();
    await expect(newest).toContainText('Account erased');
    await expect(newest).toContainText('By: You');
    await expect(newest).toContainText('3 messages they sent');
    await expect(newest).toContainText('1 friendship');
    await expect(newest).not.toContainText(erin);
    await screenshots(admin, 'admin-audit');
  });

  await test.step('the jobs page shows the sweeps that ran, and refreshes', async () => {
    await admin.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Jobs' }).click();
    await expect(admin).toHaveURL(/\/admin\/jobs$/);
    const expiry = admin.locator('[data-job="message-expiry"]');
    await expect(expiry).toContainText('Disappearing messages');
    await expect(expiry).toContainText('Succeeded');
    await expect(admin.locator('[data-job="attachment-cleanup"]')).toContainText('Succeeded');
    // Here the sweeps run every second and find nothing: they are folded into one row per stretch.
    await expect(admin.getByTestId('job-run-group').first()).toContainText('of Disappearing messages');
    await expect(admin.getByTestId('job-run-group').first()).toContainText('had nothing to do');
    await expect(admin.getByRole('status').filter({ hasText: 'Updated' })).toBeVisible();
    const reloaded = admin.waitForResponse((response) => new URL(response.url()).pathname === '/api/admin/jobs');
    await admin.getByRole('button', { name: 'Refresh' }).click();
    expect((await reloaded).status()).toBe(200);
    await expect(admin.getByRole('status').filter({ hasText: 'Updated' })).toBeVisible();
    await screenshots(admin, 'admin-jobs');
    await admin.getByRole('switch', { name: 'Show every run' }).click();
    await expect(admin.getByTestId('job-run-group')).toHaveCount(0);
    await expect(admin.getByTestId('job-run').filter({ hasText: 'Disappearing messages' }).first()).toContainText('Nothing had expired');
  });

  await test.step('at 360 px wide no admin page overflows sideways', async () => {
    await admin.setViewportSize({ width: 360, height: 740 });
    for (const section of ['users', 'jobs', 'audit']) {
      await admin.goto(`/admin/${section}`);
      await expect(admin.getByRole('heading', { name: 'Administration' })).toBeVisible();
      await expect(admin.getByRole('button', { name: /Erase|Refresh/ }).first()).toBeVisible();
      expect(await admin.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    }
    await admin.setViewportSize(VIEWPORTS[0]);
  });

  await test.step('finn, not an admin, has no Admin tab, is sent away from /admin, and sees erin as a deleted user', async () => {
    const page = await newPage(browser);
    await page.goto('/sign-in');
    await signIn(page, finn);
    await expect(page).toHaveURL(/\/chats$/);
    await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Chats' })).toBeVisible();
    await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' })).toHaveCount(0);
    await page.goto('/admin/users');
    await expect(page).toHaveURL(/\/chats$/);
    await expect(page.getByRole('list', { name: 'Conversations' })).toContainText('Deleted user');
  });
});
