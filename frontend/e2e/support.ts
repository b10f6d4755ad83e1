// Shared by the Playwright specs: the users, pages and screenshots they all need.
import { type APIRequestContext, type Browser, type BrowserContext, test as base, expect, type Page, type WebSocketRoute } from '@playwright/test';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const PASSWORD = 'correct horse battery';
export const SCREENSHOTS = join(__dirname, 'screenshots');
export const VIEWPORTS = [
  { name: '1280', width: 1280, height: 800 },
  { name: '390', width: 390, height: 844 },
] as const;

/** Where the screenshots the README shows are written (committed). */
export const DOC_SCREENSHOTS = join(__dirname, '..', '..', 'docs', 'screenshots');

/** Light and dark (through the system setting the app follows), wide and phone-sized. */
export async function screenshots(page: Page, screen: string, directory = SCREENSHOTS): Promise<void> {
  mkdirSync(directory, { recursive: true });
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    for (const viewport of VIEWPORTS) {
      await page.setViewportSize(viewport);
      await page.screenshot({ path: join(directory, `${screen}-${viewport.name}-${colorScheme}.png`), fullPage: true });
    }
  }
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize(VIEWPORTS[0]);
}

const violations = new WeakMap<Page, string[]>();

/** The contexts `newPage` opened for the running test. */
const openContexts = new Set<BrowserContext>();

/**
 * Playwright's `test`, closing after each test every page `newPage` opened for it. The browser lives
 * for the whole worker, so a page left open keeps its app, socket and timers running through every
 * later spec: by the end of a run dozens of them shared the machine's two cores with the test at hand.
 */
export const test = base.extend<{ closeOpenedPages: void }>({
  closeOpenedPages: [
    // eslint-disable-next-line no-empty-pattern -- Playwright reads a fixture's dependencies from this pattern.
    async ({}, use) => {
      await use();
      const contexts = [...openContexts];
      openContexts.clear();
      await Promise.all(contexts.map((context) => context.close()));
    },
    { auto: true },
  ],
});

/**
 * A page in a context of its own. It records every Content-Security-Policy violation (the server
 * sends the production CSP): read them with `cspViolations(page)`.
 */
export async function newPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ viewport: VIEWPORTS[0], colorScheme: 'light' });
  openContexts.add(context);
  const page = await context.newPage();
  const seen: string[] = [];
  violations.set(page, seen);
  page.on('console', (message) => {
    if (/Content[- ]Security[- ]Policy/i.test(message.text())) seen.push(message.text());
  });
  await page.exposeFunction('__irisCspViolation', (text: string) => seen.push(text));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      const report = (window as unknown as { __irisCspViolation(text: string): void }).__irisCspViolation;
      report(`${event.violatedDirective} blocked ${event.blockedURI || 'inline code'} in ${event.sourceFile}:${event.lineNumber}`);
    });
  });
  return page;
}

/** The CSP violations `page` (from `newPage`) has reported so far. */
export function cspViolations(page: Page): string[] {
  return [...(violations.get(page) ?? [])];
}

export async function register(page: Page, username: string, displayName: string): Promise<void> {
  await page.goto('/register');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Display name (optional)').fill(displayName);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/chats$/);
}

export async function signIn(page: Page, username: string, password = PASSWORD): Promise<void> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/** A token for the API calls that set the scene (no browser: the refresh token comes in the body). */
export async function apiLogin(request: APIRequestContext, username: string): Promise<{ token: string; id: string }> {
  const response = await request.post('/api/auth/login', { data: { username, password: PASSWORD } });
  expect(response.status()).toBe(200);
  const body = await response.json();
  return { token: body.accessToken, id: body.user.id };
}

/** A username no other spec (nor an earlier run on the same database) has taken. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(3).toString('hex')}`;
}

/** Makes two users friends through the API, for specs whose subject comes after that. */
export async function befriendByApi(request: APIRequestContext, a: string, b: string): Promise<void> {
  const aApi = await apiLogin(request, a);
  const bApi = await apiLogin(request, b);
  const asA = { authorization: `Bearer ${aApi.token}` };
  const asB = { authorization: `Bearer ${bApi.token}` };
  expect((await request.post('/api/friends/requests', { headers: asA, data: { userId: bApi.id } })).status()).toBe(201);
  const incoming = await (await request.get('/api/friends/requests?direction=incoming', { headers: asB })).json();
  const fromA = incoming.items.find((item: { from: { id: string } }) => item.from.id === aApi.id);
  expect(fromA).toBeTruthy();
  expect((await request.post(`/api/friends/requests/${fromA.id}/accept`, { headers: asB })).ok()).toBe(true);
}

/** A conversation's history, and the messages in it that contain `text`. */
export const messageLog = (page: Page) => page.getByRole('log', { name: 'Messages' });
export const messageRow = (page: Page, text: string) => messageLog(page).getByTestId('message').filter({ hasText: text });

/** Opens a message's one menu the way a mouse user does: hover shows its "More actions" button. */
export async function openMessageActions(page: Page, text: string): Promise<void> {
  await messageRow(page, text).first().hover();
  await messageRow(page, text).first().getByTestId('message-actions').click();
  await expect(page.getByRole('menu')).toBeVisible();
}

/** A page's Socket.IO connection, run through the test: what the page sent over it, and a switch to take it down. */
export interface SocketSwitch {
  /** Every frame the page sent over its WebSockets, in order. */
  readonly sent: string[];
  /** Every frame the server sent to the page, in order. */
  readonly received: string[];
  /** Closes the open WebSocket and refuses new ones (long-polling too) until `up()`; REST is untouched. */
  down(): Promise<void>;
  up(): void;
}

/**
 * Routes the page's Socket.IO connections through the test, to the real server. Call it before the page
 * opens the app: only sockets opened afterwards are routed.
 */
export async function routeSocket(page: Page): Promise<SocketSwitch> {
  let open = true;
  const routes = new Set<WebSocketRoute>();
  const sent: string[] = [];
  const received: string[] = [];
  await page.routeWebSocket(/\/socket\.io\//, (ws) => {
    if (!open) {
      void ws.close();
      return;
    }
    const server = ws.connectToServer();
    routes.add(ws);
    ws.onMessage((message) => {
      sent.push(String(message));
      server.send(message);
    });
    server.onMessage((message) => {
      received.push(String(message));
      ws.send(message);
    });
  });
  // Long-polling is refused throughout, not only while down: the client falls back to it when the
  // WebSocket fails, and a fallback that lands just after up() connects where this switch sees neither
  // the `ready` nor the sends (a slow machine made that race a failure).
  await page.route(/\/socket\.io\/.*transport=polling/, (route) => route.abort());
  return {
    sent,
    received,
    async down() {
      open = false;
      for (const ws of routes) await ws.close().catch(() => undefined);
      routes.clear();
    },
    up() {
      open = true;
    },
  };
}

export interface Pair {
  alice: Page;
  bob: Page;
  conversationId: string;
  aliceApi: { token: string; id: string };
  bobApi: { token: string; id: string };
}

/** Alice and Bob, friends, in the encrypted conversation Alice opened from her friends, one message already across. */
export async function encryptedPair(browser: Browser, request: APIRequestContext, openAlice = () => newPage(browser)): Promise<Pair> {
  const aliceName = uniqueName('alice');
  const bobName = uniqueName('bob');
  const alice = await openAlice();
  // Alice on a desktop (two panes), bob on a phone (one pane at a time).
  const bob = await newPage(browser);
  await bob.setViewportSize(VIEWPORTS[1]);
  await register(alice, aliceName, 'Alice Liddell');
  await register(bob, bobName, 'Bob Builder');
  await befriendByApi(request, aliceName, bobName);
  await alice.goto('/friends');
  await alice.getByRole('button', { name: 'Message Bob Builder' }).first().click();
  await expect(alice).toHaveURL(/\/chats\/[0-9a-f-]{36}$/);
  const conversationId = alice.url().split('/').pop()!;
  await bob.goto(`/chats/${conversationId}`);
  for (const page of [alice, bob]) await expect(page.getByTestId('encryption-state')).toHaveText('End-to-end encrypted');
  // The first message shares the conversation's key with Bob's device.
  await send(alice, 'Hello Bob');
  await expect(messageRow(bob, 'Hello Bob')).toBeVisible();
  return { alice, bob, conversationId, aliceApi: await apiLogin(request, aliceName), bobApi: await apiLogin(request, bobName) };
}

/** Types `text` into the open chat's composer and sends it with Enter. */
export async function send(page: Page, text: string): Promise<void> {
  const composer = page.getByRole('textbox', { name: 'Message' });
  await composer.fill(text);
  await composer.press('Enter');
  await expect(composer).toHaveValue('');
}
