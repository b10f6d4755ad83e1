import { type APIRequestContext, type Browser, expect, type Page } from '@playwright/test';
import { randomBytes } from 'node:crypto';
import { dumpServerState, occurrencesByEncoding } from './server-dump';
import { encryptedPair, newPage, send, test } from './support';

const log = (page: Page) => page.getByRole('log', { name: 'Messages' });

/** How many messages the server holds in the conversation (ciphertext: the count, not the text). */
async function serverCount(request: APIRequestContext, token: string, conversationId: string): Promise<number> {
  const response = await request.get(`/api/conversations/${conversationId}/messages?limit=100`, { headers: { authorization: `Bearer ${token}` } });
  expect(response.ok()).toBe(true);
  return (await response.json()).items.length;
}

test('messages written offline wait in the outbox across closing the page, then reach the peer once each, in order, as ciphertext', async ({ browser, request }) => {
  test.setTimeout(180_000);
  const { alice, bob, conversationId, bobApi } = await encryptedPair(browser, request);
  const context = alice.context();
  const texts = [1, 2, 3].map((n) => `offline-${n}-${randomBytes(6).toString('hex')}`);

  await test.step('offline, alice writes three messages: each shows as pending, none reaches the server', async () => {
    await context.setOffline(true);
    for (const text of texts) await send(alice, text);
    for (const text of texts) await expect(log(alice).getByTestId('message').filter({ hasText: text }).getByTestId('pending').first()).toBeVisible();
    expect(await serverCount(request, bobApi.token, conversationId)).toBe(1);
  });

  await test.step('she closes the page, comes back online and opens the app again: bob gets all three, once each, in order', async () => {
    await alice.close();
    await context.setOffline(false);
    const again = await context.newPage();
    await again.goto('/chats');
    const bobMessages = log(bob).getByTestId('message');
    for (const text of texts) await expect(bobMessages.filter({ hasText: text })).toHaveCount(1);
    const shown = (await bobMessages.allTextContents()).filter((content) => content.includes('offline-'));
    expect(shown.map((content) => texts.findIndex((text) => content.includes(text)))).toEqual([0, 1, 2]);
    expect(await serverCount(request, bobApi.token, conversationId)).toBe(4);

    // Her own view: sent, none pending, none twice.
    await again.goto(`/chats/${conversationId}`);
    for (const text of texts) await expect(log(again).getByTestId('message').filter({ hasText: text })).toHaveCount(1);
    await expect(log(again).getByTestId('pending')).toHaveCount(0);
  });

  await test.step('the server and the browser storage hold no plaintext of them', async () => {
    const state = await dumpServerState();
    for (const text of texts) {
      expect(occurrencesByEncoding(state.database, text), `database: ${text}`).toEqual({});
      expect(occurrencesByEncoding(state.log, text), `log: ${text}`).toEqual({});
    }
  });
});

test('a refused message shows the server’s reason, survives a reload, and can be discarded; an overlong one is never sent', async ({ browser, request }) => {
  test.setTimeout(180_000);
  const { alice, conversationId, aliceApi, bobApi } = await encryptedPair(browser, request);
  const text = `after-block-${randomBytes(6).toString('hex')}`;
  const reason = 'Not sent. This conversation is read-only because one of you blocked the other.';

  await test.step('4,001 characters: the counter says so, Send is off and Enter sends nothing', async () => {
    const composer = alice.getByRole('textbox', { name: 'Message' });
    await composer.fill('x'.repeat(4001));
    await expect(alice.getByTestId('counter')).toHaveText('1 character too many: a message holds at most 4,000');
    await expect(alice.getByRole('button', { name: 'Send' })).toBeDisabled();
    await composer.press('Enter');
    await expect(composer).toHaveValue('x'.repeat(4001));
    await expect(log(alice).getByTestId('pending')).toHaveCount(0);
  });

  // A block reaches an open screen at once (its composer turns read-only), so the message is written
  // offline, before alice's screen can be told, and goes out when she is back.
  await test.step('alice writes offline; bob blocks her meanwhile; back online, the message is refused with the reason', async () => {
    await alice.context().setOffline(true);
    await send(alice, text);
    await expect(log(alice).getByTestId('message').filter({ hasText: text }).getByTestId('pending').first()).toBeVisible();
    expect((await request.put(`/api/blocks/${aliceApi.id}`, { headers: { authorization: `Bearer ${bobApi.token}` } })).status()).toBe(204);
    await alice.context().setOffline(false);
    const refused = log(alice).getByTestId('message').filter({ hasText: text });
    await expect(refused.getByTestId('not-sent')).toContainText(reason, { timeout: 30_000 });
    await expect(alice.getByTestId('read-only')).toBeVisible();
  });

  await test.step('a reload keeps it, with its reason (kept as ciphertext)', async () => {
    await alice.reload();
    const refused = log(alice).getByTestId('message').filter({ hasText: text });
    await expect(refused.getByTestId('not-sent')).toContainText(reason);
    const stored = await alice.evaluate(async (userId) => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const open = indexedDB.open(`iris-outbox-${userId}`);
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
      const all = await new Promise<unknown[]>((resolve, reject) => {
        const request = db.transaction('entries').objectStore('entries').getAll();
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      db.close();
      return JSON.stringify(all);
    }, aliceApi.id);
    expect(stored).toContain('"ciphertext":{');
    expect(stored).toContain('BLOCKED');
    expect(stored).not.toContain(text);
  });

  await test.step('she discards it: gone, also after a reload, and the server never had it', async () => {
    await alice.getByRole('button', { name: `Discard unsent message: ${text}` }).click();
    await expect(log(alice).getByTestId('message').filter({ hasText: text })).toHaveCount(0);
    await alice.reload();
    await expect(log(alice).getByTestId('message').filter({ hasText: 'Hello Bob' })).toBeVisible();
    await expect(log(alice).getByTestId('message').filter({ hasText: text })).toHaveCount(0);
    expect(await serverCount(request, aliceApi.token, conversationId)).toBe(1);
  });

});

/** A page whose context runs the service worker (the cached app shell), as an installed Iris does. */
async function pageWithServiceWorker(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ serviceWorkers: 'allow', viewport: { width: 1280, height: 800 } });
  return context.newPage();
}

/** Waits until the service worker controls the page, so the app shell is there offline. */
async function shellCached(page: Page): Promise<void> {
  await page.waitForFunction(async () => (await navigator.serviceWorker.ready).active?.state === 'activated');
  await page.reload();
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
}

test('offline, a reload opens the signed-in app with its outbox, not the sign-in page; signing out asks first; online again, the message goes', async ({ browser, request }) => {
  test.setTimeout(180_000);
  const { alice, bob, conversationId, bobApi } = await encryptedPair(browser, request, () => pageWithServiceWorker(browser));
  const context = alice.context();
  const text = `while-offline-${randomBytes(6).toString('hex')}`;
  await shellCached(alice);
  // The reloaded page shares the conversation's key again while it can (so what it writes offline can be sealed).
  await send(alice, 'Back again');
  await expect(log(bob).getByTestId('message').filter({ hasText: 'Back again' })).toBeVisible();

  await test.step('offline, she writes a message and reloads: the chat opens with the offline banner and the pending message', async () => {
    await context.setOffline(true);
    await send(alice, text);
    await expect(log(alice).getByTestId('pending')).toHaveCount(1);
    await alice.reload();
    await expect(alice).toHaveURL(new RegExp(`/chats/${conversationId}$`));
    await expect(alice.getByTestId('offline-banner')).toBeVisible();
    await expect(alice.getByTestId('current-user')).toContainText('Alice Liddell');
    await expect(log(alice).getByTestId('pending')).toHaveCount(1);
  });

  await test.step('sign out says the message would be lost; she cancels and stays', async () => {
    await alice.getByRole('button', { name: 'Sign out' }).click();
    const dialog = alice.getByRole('alertdialog');
    await expect(dialog).toContainText('1 message has not been sent yet');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toHaveCount(0);
    await expect(alice).toHaveURL(new RegExp(`/chats/${conversationId}$`));
  });

  await test.step('online again: the banner goes, bob gets the message once, nothing is pending', async () => {
    await context.setOffline(false);
    await expect(alice.getByTestId('offline-banner')).toHaveCount(0);
    await expect(log(bob).getByTestId('message').filter({ hasText: text })).toHaveCount(1);
    await expect(log(alice).getByTestId('pending')).toHaveCount(0);
    // The conversation, which could not load offline, loads now.
    await expect(alice.getByTestId('history-start')).toBeVisible();
    await expect(log(alice).getByTestId('message')).toHaveCount(3);
    expect(await serverCount(request, bobApi.token, conversationId)).toBe(3);
  });
  await context.close();
});

test('two tabs of one browser share the outbox: both show what waits, and each message reaches the peer once', async ({ browser, request }) => {
  test.setTimeout(180_000);
  const { alice, bob, conversationId, bobApi } = await encryptedPair(browser, request);
  const context = alice.context();
  const second = await context.newPage();
  await second.goto(`/chats/${conversationId}`);
  // (The keys live in one tab: this one cannot read the messages, but it shows them.)
  await expect(log(second).getByTestId('message')).toHaveCount(1);
  const texts = [1, 2].map((n) => `two-tabs-${n}-${randomBytes(6).toString('hex')}`);

  await test.step('offline, the first tab writes two messages: the second tab shows both waiting', async () => {
    await context.setOffline(true);
    for (const text of texts) await send(alice, text);
    await expect(log(alice).getByTestId('pending')).toHaveCount(2);
    await expect(log(second).getByTestId('pending')).toHaveCount(2);
  });

  await test.step('online again: bob gets each once, and neither tab shows them pending', async () => {
    await context.setOffline(false);
    for (const text of texts) await expect(log(bob).getByTestId('message').filter({ hasText: text })).toHaveCount(1);
    for (const page of [alice, second]) await expect(log(page).getByTestId('pending')).toHaveCount(0);
    expect(await serverCount(request, bobApi.token, conversationId)).toBe(3);
  });
});
