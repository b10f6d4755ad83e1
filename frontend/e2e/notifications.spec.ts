import { type APIRequestContext, expect, type Page } from '@playwright/test';
import { randomUUID } from 'node:crypto';
import { apiLogin, befriendByApi, newPage, register, test, uniqueName } from './support';

interface Shown {
  title: string;
  body: string;
  tag: string;
}

/** Bob (by API) befriends the page's user and opens a plaintext conversation with them; answers how to write in it. */
async function bobWritesTo(request: APIRequestContext, username: string) {
  const bobName = uniqueName('bob');
  expect((await request.post('/api/auth/register', { data: { username: bobName, password: 'correct horse battery', displayName: 'Bob' } })).status()).toBe(201);
  await befriendByApi(request, username, bobName);
  const bob = await apiLogin(request, bobName);
  const them = await apiLogin(request, username);
  const asBob = { Authorization: `Bearer ${bob.token}` };
  const conversation = await (await request.post('/api/conversations', { headers: asBob, data: { userId: them.id, encrypted: false } })).json();
  return {
    conversationId: conversation.id as string,
    send: async (body: string): Promise<string> => {
      const sent = await request.post(`/api/conversations/${conversation.id}/messages`, { headers: asBob, data: { clientId: randomUUID(), body } });
      expect(sent.status()).toBe(201);
      return (await sent.json()).id;
    },
  };
}

/** Records every Notification the page creates and every permission request, and lets the test hide the page. */
async function watchNotifications(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { __shown: Shown[]; __asked: number; __hidden: boolean };
    w.__shown = [];
    w.__asked = 0;
    w.__hidden = false;
    const Original = window.Notification;
    class Recorded extends Original {
      constructor(title: string, options: NotificationOptions = {}) {
        super(title, options);
        w.__shown.push({ title, body: options.body ?? '', tag: options.tag ?? '' });
      }
    }
    Object.defineProperty(Recorded, 'permission', { get: () => Original.permission });
    Recorded.requestPermission = (...args: Parameters<typeof Original.requestPermission>) => {
      w.__asked++;
      return Original.requestPermission(...args);
    };
    window.Notification = Recorded as typeof Notification;
    Object.defineProperty(document, 'visibilityState', { get: () => (w.__hidden ? 'hidden' : 'visible') });
    Object.defineProperty(document, 'hidden', { get: () => w.__hidden });
  });
}

const shown = (page: Page) => page.evaluate(() => (window as unknown as { __shown: Shown[] }).__shown);

test('the tab title shows the unread total, in every tab, and clears when the messages are read on another device', async ({ browser, request }) => {
  const alice = await newPage(browser);
  const name = uniqueName('alice');
  await register(alice, name, 'Alice');
  await expect(alice).toHaveTitle('Chats · Iris');
  const bob = await bobWritesTo(request, name);
  const secondTab = await alice.context().newPage();
  await secondTab.goto('/settings');
  await expect(secondTab).toHaveTitle('Settings · Iris');

  await bob.send('Hi Alice');
  const last = await bob.send('Lunch tomorrow?');
  await expect(alice).toHaveTitle('(2) Chats · Iris');
  await expect(secondTab).toHaveTitle('(2) Settings · Iris');
  const icon = await alice.locator('link[rel="icon"]').getAttribute('href');
  expect(icon).toMatch(/^data:image\/png/);

  // Her phone (another session) reads them.
  const phone = await apiLogin(request, name);
  const read = await request.post(`/api/conversations/${bob.conversationId}/read`, { headers: { Authorization: `Bearer ${phone.token}` }, data: { messageId: last } });
  expect(read.status()).toBe(204);
  await expect(alice).toHaveTitle('Chats · Iris');
  await expect(secondTab).toHaveTitle('Settings · Iris');
  expect(await alice.locator('link[rel="icon"]').getAttribute('href')).not.toMatch(/^data:/);
});

test('with notifications allowed and the page hidden, a new message shows "New message from Bob" without its text; never a prompt on load', async ({ browser, request }) => {
  const alice = await newPage(browser);
  await alice.context().grantPermissions(['notifications']);
  await watchNotifications(alice);
  const name = uniqueName('alice');
  await register(alice, name, 'Alice');
  await expect(alice.getByTestId('notifications-banner')).toBeVisible();
  expect(await alice.evaluate(() => (window as unknown as { __asked: number }).__asked)).toBe(0);

  await alice.goto('/settings');
  const section = alice.getByTestId('notification-settings');
  await section.getByRole('switch', { name: /Desktop notifications/ }).click();
  await expect(section.getByRole('switch', { name: /Desktop notifications/ })).toBeChecked();
  await expect(section.getByRole('switch', { name: /Show the message text/ })).not.toBeChecked();
  await alice.getByRole('link', { name: 'Chats' }).first().click();
  await expect(alice.getByTestId('notifications-banner')).toHaveCount(0);

  const bob = await bobWritesTo(request, name);
  await expect(alice).toHaveTitle('Chats · Iris');
  // Visible: the tab itself shows the message, no notification.
  await bob.send('visible one');
  await expect(alice).toHaveTitle('(1) Chats · Iris');
  expect(await shown(alice)).toEqual([]);

  await alice.evaluate(() => ((window as unknown as { __hidden: boolean }).__hidden = true));
  await bob.send('the secret lunch plan');
  await expect.poll(() => shown(alice)).toEqual([{ title: 'New message from Bob', body: '', tag: bob.conversationId }]);
  expect(JSON.stringify(await shown(alice))).not.toContain('secret');

  // Muted in the conversation: no notification, the unread still counts.
  await alice.evaluate(() => ((window as unknown as { __hidden: boolean }).__hidden = false));
  await alice.goto(`/chats/${bob.conversationId}`);
  await alice.getByTestId('mute-toggle').click();
  await expect(alice.getByTestId('mute-toggle')).toHaveAttribute('aria-pressed', 'true');
  await alice.goto('/chats');
  await alice.evaluate(() => ((window as unknown as { __hidden: boolean }).__hidden = true));
  await bob.send('muted one');
  await expect(alice).toHaveTitle('(1) Chats · Iris');
  await bob.send('muted two');
  await expect(alice).toHaveTitle('(2) Chats · Iris');
  // (The page was loaded again since the first notification, so the record starts empty.)
  expect(await shown(alice)).toEqual([]);
});

test('installable: the manifest parses, the service worker registers and controls the page, and the app shell opens offline', async ({ browser, request }) => {
  const manifestResponse = await request.get('/manifest.webmanifest');
  expect(manifestResponse.status()).toBe(200);
  const manifest = await manifestResponse.json();
  expect(manifest).toMatchObject({ name: 'Iris', short_name: 'Iris', start_url: '/chats', display: 'standalone' });
  for (const size of ['192x192', '512x512']) {
    const icon = manifest.icons.find((i: { sizes: string; purpose: string }) => i.sizes === size && i.purpose === 'any');
    expect(icon).toBeTruthy();
    const image = await request.get(`/${icon.src}`);
    expect(image.headers()['content-type']).toBe('image/png');
  }

  const context = await browser.newContext({ serviceWorkers: 'allow' });
  const page = await context.newPage();
  await page.goto('/sign-in');
  expect(await page.locator('link[rel="manifest"]').getAttribute('href')).toBe('manifest.webmanifest');
  await page.waitForFunction(async () => (await navigator.serviceWorker.ready).active?.state === 'activated');
  await page.reload();
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  expect(await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL)).toMatch(/\/sw\.js$/);

  await page.context().setOffline(true);
  await page.reload();
  await expect(page.getByRole('button', { name: 'Sign in', exact: true })).toBeVisible();
  await page.goto('/register');
  await expect(page.getByRole('button', { name: 'Create account' })).toBeVisible();
  await context.setOffline(false);
  await context.close();
});

test('a push always shows a notification: "New message" for a message, "New activity" for a payload the worker does not know', async ({ browser }) => {
  const context = await browser.newContext({ serviceWorkers: 'allow' });
  await context.grantPermissions(['notifications']);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  const registrations = new Map<string, string>();
  cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations: updated }) => {
    for (const registration of updated) if (!registration.isDeleted) registrations.set(registration.scopeURL, registration.registrationId);
  });
  await cdp.send('ServiceWorker.enable');
  await page.goto('/sign-in');
  await page.waitForFunction(async () => (await navigator.serviceWorker.ready).active?.state === 'activated');
  await expect.poll(() => registrations.size).toBeGreaterThan(0);
  const [[scope, registrationId]] = [...registrations];
  const origin = new URL(scope).origin;
  const notifications = () =>
    page.evaluate(async () => (await (await navigator.serviceWorker.ready).getNotifications()).map((shown) => ({ title: shown.title, tag: shown.tag, body: shown.body })));

  const conversationId = randomUUID();
  await cdp.send('ServiceWorker.deliverPushMessage', { origin, registrationId, data: JSON.stringify({ type: 'message', conversationId, unread: 2 }) });
  await expect.poll(notifications).toEqual([{ title: 'New message', tag: conversationId, body: '' }]);

  await cdp.send('ServiceWorker.deliverPushMessage', { origin, registrationId, data: 'not json at all' });
  await cdp.send('ServiceWorker.deliverPushMessage', { origin, registrationId, data: JSON.stringify({ type: 'call', from: 'someone' }) });
  await expect.poll(notifications).toEqual([
    { title: 'New message', tag: conversationId, body: '' },
    { title: 'New activity', tag: 'iris-activity', body: '' },
  ]);
  await context.close();
});
