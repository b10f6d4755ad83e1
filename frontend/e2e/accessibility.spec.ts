import AxeBuilder from '@axe-core/playwright';
import { type APIRequestContext, expect, type Page } from '@playwright/test';
import { randomBytes, randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { jpegWithGps } from './fixtures';
import { apiLogin, befriendByApi, newPage, PASSWORD, signIn, test, VIEWPORTS } from './support';

// run.mjs starts the backend with this admin (ADMIN_USERNAME/ADMIN_PASSWORD) and passes it on.
const ADMIN_USERNAME = process.env['E2E_ADMIN_USERNAME'] ?? '';
const ADMIN_PASSWORD = process.env['E2E_ADMIN_PASSWORD'] ?? '';

interface Screen {
  name: string;
  path: string;
  /** What shows once the screen has loaded. */
  ready: (page: Page) => ReturnType<Page['getByRole']>;
  /** What to open on it before the check (a panel that is not there on load). */
  open?: (page: Page) => Promise<void>;
}

async function registerByApi(request: APIRequestContext, username: string, displayName: string): Promise<void> {
  const response = await request.post('/api/auth/register', { data: { username, password: PASSWORD, displayName } });
  expect(response.status()).toBe(201);
}

/** Every axe violation on `page`, in light and dark, wide and phone-sized, as "screen width scheme: rule (impact) at targets". */
async function audit(page: Page, screen: Screen, checked: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    for (const viewport of VIEWPORTS) {
      await page.setViewportSize(viewport);
      await page.goto(screen.path);
      await expect(screen.ready(page)).toBeVisible();
      await screen.open?.(page);
      const results = await new AxeBuilder({ page }).analyze();
      // A screen axe could not look into (an empty page, a crashed run) would pass with no violation.
      expect(results.passes.length).toBeGreaterThan(10);
      for (const violation of results.violations) {
        const targets = violation.nodes.map((node) => node.target.join(' ')).join(', ');
        found.push(`${screen.name} ${viewport.name} ${colorScheme}: ${violation.id} (${violation.impact}) at ${targets}`);
      }
      checked.push(`${screen.name} ${viewport.name} ${colorScheme}`);
    }
  }
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize(VIEWPORTS[0]);
  return found;
}

test('axe finds no violation of any impact on any screen, light and dark, at 1280 and 390 px', async ({ browser, request }) => {
  test.skip(!ADMIN_USERNAME || !ADMIN_PASSWORD, 'needs E2E_ADMIN_USERNAME/E2E_ADMIN_PASSWORD (set by e2e/run.mjs)');
  test.setTimeout(300_000);
  const tag = randomBytes(3).toString('hex');
  const ann = `ann_${tag}`;
  const ben = `ben_${tag}`;
  let conversationId = '';

  await test.step('ann and ben are friends with a few messages, and ben has sent ann a request-free chat (through the API)', async () => {
    await registerByApi(request, ann, `Ann ${tag}`);
    await registerByApi(request, ben, `Ben ${tag}`);
    await befriendByApi(request, ann, ben);
    const annApi = await apiLogin(request, ann);
    const benApi = await apiLogin(request, ben);
    const asBen = { authorization: `Bearer ${benApi.token}` };
    const conversation = await (await request.post('/api/conversations', { headers: asBen, data: { userId: annApi.id, encrypted: false } })).json();
    conversationId = conversation.id;
    for (const body of ['Hi Ann!', 'Are we still on for Saturday?', 'مرحبا — see you then']) {
      const sent = await request.post(`/api/conversations/${conversationId}/messages`, { headers: asBen, data: { clientId: randomUUID(), body } });
      expect(sent.status()).toBe(201);
    }
  });

  const checked: string[] = [];
  const violations: string[] = [];
  const page = await newPage(browser);

  await test.step('signed out: sign-in and register', async () => {
    violations.push(...(await audit(page, { name: 'sign-in', path: '/sign-in', ready: (p) => p.getByRole('heading', { name: 'Sign in', exact: true }) }, checked)));
    violations.push(
      ...(await audit(page, { name: 'register', path: '/register', ready: (p) => p.getByRole('heading', { name: 'Create your account', exact: true }) }, checked)),
    );
  });

  await test.step('signed in: chat list, conversation, friends, settings and its profile picture crop panel', async () => {
    const photo = await jpegWithGps('portrait.jpg');
    await page.goto('/sign-in');
    await signIn(page, ann);
    await expect(page).toHaveURL(/\/chats$/);
    const screens: Screen[] = [
      { name: 'chat list', path: '/chats', ready: (p) => p.getByRole('link', { name: new RegExp(`Ben ${tag}`) }) },
      { name: 'conversation', path: `/chats/${conversationId}`, ready: (p) => p.getByText('Are we still on for Saturday?') },
      { name: 'friends', path: '/friends', ready: (p) => p.getByRole('heading', { name: 'Friends', exact: true }) },
      { name: 'settings', path: '/settings', ready: (p) => p.getByRole('heading', { name: 'Settings', exact: true }) },
      {
        name: 'profile picture crop',
        path: '/settings',
        ready: (p) => p.getByRole('heading', { name: 'Settings', exact: true }),
        open: async (p) => {
          await p.getByTestId('picture-file').setInputFiles(photo.path);
          await expect(p.getByTestId('crop-area')).toBeFocused();
        },
      },
    ];
    for (const screen of screens) violations.push(...(await audit(page, screen, checked)));
    rmSync(dirname(photo.path), { recursive: true, force: true });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL(/\/sign-in$/);
  });

  await test.step('the admin: users, jobs and the audit trail', async () => {
    await signIn(page, ADMIN_USERNAME, ADMIN_PASSWORD);
    await expect(page).toHaveURL(/\/chats$/);
    const screens: Screen[] = [
      { name: 'admin users', path: '/admin/users', ready: (p) => p.getByRole('table', { name: 'Users' }) },
      { name: 'admin jobs', path: '/admin/jobs', ready: (p) => p.getByRole('heading', { name: 'Administration', exact: true }) },
      { name: 'admin audit', path: '/admin/audit', ready: (p) => p.getByRole('heading', { name: 'Administration', exact: true }) },
    ];
    for (const screen of screens) violations.push(...(await audit(page, screen, checked)));
    await page.setViewportSize(VIEWPORTS[1]);
    const adminTab = page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' });
    await expect(adminTab).toBeInViewport({ ratio: 1 });
    await page.setViewportSize(VIEWPORTS[0]);
  });

  console.log(`axe checked ${checked.length} screens:\n  ${checked.join('\n  ')}`);
  expect(checked).toHaveLength(10 * 4);
  expect(violations).toEqual([]);
});
