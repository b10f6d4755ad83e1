import { expect } from '@playwright/test';
import { randomUUID } from 'node:crypto';
import { apiLogin, cspViolations, newPage, PASSWORD, register, routeSocket, screenshots, signIn, test, VIEWPORTS } from './support';

test('register, sign out and in, and see a conversation with its last message and unread count', async ({ browser, request }) => {
  test.setTimeout(120_000);
  const alice = await newPage(browser);
  // Sends go over the socket when it is up: "cannot reach the server" below takes it down with REST.
  const aliceSocket = await routeSocket(alice);

  await test.step('alice registers and sees an empty chat list', async () => {
    await register(alice, 'alice', 'Alice Liddell');
    await expect(alice.getByText('No conversations yet')).toBeVisible();
    await expect(alice.getByTestId('current-user')).toContainText('Alice Liddell');
  });

  await test.step('a reload keeps her signed in through the refresh cookie', async () => {
    await alice.reload();
    await expect(alice).toHaveURL(/\/chats$/);
    await expect(alice.getByTestId('current-user')).toContainText('Alice Liddell');
  });

  await test.step('she signs out, is refused with a wrong password, and signs in again', async () => {
    await alice.getByRole('button', { name: 'Sign out' }).click();
    await expect(alice).toHaveURL(/\/sign-in$/);
    await alice.goto('/chats');
    await expect(alice).toHaveURL(/\/sign-in$/);
    await screenshots(alice, 'sign-in');

    await signIn(alice, 'alice', 'not the password');
    await expect(alice.getByRole('alert')).toHaveText('Wrong username or password.');
    await signIn(alice, 'alice');
    await expect(alice).toHaveURL(/\/chats$/);
    await expect(alice.getByText('No conversations yet')).toBeVisible();
  });

  const bob = await newPage(browser);
  await test.step('bob registers in another context; alice\'s name is taken', async () => {
    await bob.goto('/register');
    await bob.getByLabel('Username').fill('alice');
    await bob.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await bob.getByRole('button', { name: 'Create account' }).click();
    await expect(bob.getByText('This username is already taken.')).toBeVisible();
    await register(bob, 'bob', 'Bob Builder');
  });

  await test.step('they become friends and bob writes twice (through the API)', async () => {
    const aliceApi = await apiLogin(request, 'alice');
    const bobApi = await apiLogin(request, 'bob');
    const asAlice = { Authorization: `Bearer ${aliceApi.token}` };
    const asBob = { Authorization: `Bearer ${bobApi.token}` };

    expect((await request.post('/api/friends/requests', { headers: asAlice, data: { userId: bobApi.id } })).status()).toBe(201);
    const incoming = await (await request.get('/api/friends/requests?direction=incoming', { headers: asBob })).json();
    expect(incoming.items).toHaveLength(1);
    expect((await request.post(`/api/friends/requests/${incoming.items[0].id}/accept`, { headers: asBob })).ok()).toBe(true);

    const conversation = await (await request.post('/api/conversations', { headers: asBob, data: { userId: aliceApi.id, encrypted: false } })).json();
    for (const body of ['Hi Alice!', 'Lunch tomorrow at the usual place?']) {
      const sent = await request.post(`/api/conversations/${conversation.id}/messages`, { headers: asBob, data: { clientId: randomUUID(), body } });
      expect(sent.status()).toBe(201);
    }
  });

  await test.step('after a reload, alice sees bob\'s conversation with the preview and the unread badge', async () => {
    await alice.reload();
    const item = alice.getByRole('list', { name: 'Conversations' }).getByRole('listitem');
    await expect(item).toHaveCount(1);
    await expect(item).toContainText('Bob Builder');
    await expect(item).toContainText('Lunch tomorrow at the usual place?');
    await expect(item.getByTestId('unread-badge')).toHaveText('2');
    await expect(item.getByTestId('unread-badge')).toHaveAccessibleName('2 unread messages');
    await expect(alice.getByText('No conversations yet')).toHaveCount(0);
    await screenshots(alice, 'chat-list');
  });

  await test.step('at 360 px wide nothing overflows sideways', async () => {
    for (const path of ['/chats', '/sign-in']) {
      const page = path === '/chats' ? alice : await newPage(browser);
      await page.setViewportSize({ width: 360, height: 740 });
      await page.goto(path);
      await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    }
    await alice.setViewportSize(VIEWPORTS[0]);
  });

  await test.step('bob sees his own message as the preview, without a badge', async () => {
    await bob.reload();
    const item = bob.getByRole('list', { name: 'Conversations' }).getByRole('listitem');
    await expect(item).toContainText('Alice Liddell');
    await expect(item).toContainText('You: Lunch tomorrow at the usual place?');
    await expect(item.getByTestId('unread-badge')).toHaveCount(0);
  });

  await test.step('the theme toggle overrides the system theme and is remembered', async () => {
    await alice.getByRole('button', { name: 'Switch to dark theme' }).click();
    await expect(alice.locator('html')).toHaveClass(/theme-dark/);
    await alice.reload();
    await expect(alice.locator('html')).toHaveClass(/theme-dark/);
    await alice.getByRole('button', { name: 'Switch to light theme' }).click();
    await expect(alice.locator('html')).not.toHaveClass(/theme-dark/);
  });
  await test.step('alice opens the conversation and sends; bob sees it live in his list, with a badge', async () => {
    await alice.getByRole('list', { name: 'Conversations' }).getByRole('link').first().click();
    await expect(alice).toHaveURL(/\/chats\/[0-9a-f-]+$/);
    // While the chat opens, the list's title is still a level-1 heading beside the conversation's.
    await expect(alice.getByRole('heading', { level: 1, name: 'Bob Builder', exact: true })).toBeVisible();
    const log = alice.getByRole('log', { name: 'Messages' });
    await expect(log).toContainText('Lunch tomorrow at the usual place?');

    const composer = alice.getByRole('textbox', { name: 'Message' });
    await composer.fill('Hello');
    await composer.press('Shift+Enter');
    await expect(composer).toHaveValue('Hello\n');
    await composer.fill('Hello Bob');
    await composer.press('Enter');
    await expect(composer).toHaveValue('');
    await expect(log.getByTestId('message').last()).toContainText('Hello Bob');
    await expect(log.getByTestId('message').last()).not.toContainText('Sending');

    const item = bob.getByRole('list', { name: 'Conversations' }).getByRole('listitem');
    await expect(item).toContainText('Hello Bob');
    await expect(item.getByTestId('unread-badge')).toHaveText('1');
  });

  await test.step('bob opens it and reads: alice sees "Seen"; bob types: alice sees "typing…"', async () => {
    await bob.getByRole('list', { name: 'Conversations' }).getByRole('link').first().click();
    await expect(bob.getByRole('log', { name: 'Messages' })).toContainText('Hello Bob');
    await expect(alice.getByTestId('seen')).toBeVisible();
    await expect(alice.getByTestId('message').last().getByTestId('seen')).toHaveText('Seen');

    await bob.getByRole('textbox', { name: 'Message' }).pressSequentially('Sure, see', { delay: 20 });
    await expect(alice.getByTestId('typing')).toHaveText('typing…');
    await screenshots(alice, 'conversation');
  });

  await test.step('alice edits and then deletes her message; bob sees both live', async () => {
    const bobLog = bob.getByRole('log', { name: 'Messages' });
    const aliceLog = alice.getByRole('log', { name: 'Messages' });
    await aliceLog.getByTestId('message').filter({ hasText: 'Hello Bob' }).hover();
    await alice.getByRole('button', { name: 'More actions: Hello Bob' }).click();
    await alice.getByRole('menuitem', { name: 'Edit' }).click();
    const composer = alice.getByRole('textbox', { name: 'Message' });
    await expect(composer).toHaveValue('Hello Bob');
    await composer.fill('Hello Bob, how are you?');
    await composer.press('Enter');
    const edited = bobLog.getByTestId('message').filter({ hasText: 'Hello Bob, how are you?' });
    await expect(edited).toContainText('edited');

    await aliceLog.getByTestId('message').filter({ hasText: 'Hello Bob, how are you?' }).hover();
    await alice.getByRole('button', { name: 'More actions: Hello Bob, how are you?' }).click();
    await alice.getByRole('menuitem', { name: 'Delete' }).click();
    await alice.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
    await expect(alice.getByRole('log', { name: 'Messages' })).toContainText('Message deleted');
    await expect(bobLog.getByTestId('message').last()).toContainText('Message deleted');
    await expect(bobLog).not.toContainText('Hello Bob, how are you?');
  });
  await test.step('a send that cannot reach the server stays pending in the outbox and goes by itself, once, when it can', async () => {
    const blocked = '**/api/conversations/*/messages';
    await alice.route(blocked, (route) => (route.request().method() === 'POST' ? route.abort() : route.fallback()));
    await aliceSocket.down();
    const composer = alice.getByRole('textbox', { name: 'Message' });
    await composer.fill('Are you there?');
    await composer.press('Enter');
    const pending = alice.getByTestId('message').filter({ hasText: 'Are you there?' });
    await expect(pending.getByTestId('pending')).toBeVisible();
    await expect(pending.getByRole('alert')).toHaveCount(0);
    await alice.unroute(blocked);
    aliceSocket.up();
    await expect(pending.getByTestId('pending')).toHaveCount(0);
    await expect(bob.getByRole('log', { name: 'Messages' }).getByTestId('message').filter({ hasText: 'Are you there?' })).toHaveCount(1);
  });
  await test.step('the chat says it is not encrypted; alice turns encryption on, both sides follow, the history stays and new messages go encrypted', async () => {
    for (const page of [alice, bob]) await expect(page.getByTestId('encryption-state')).toHaveText('Not encrypted');
    await alice.getByRole('button', { name: 'Turn on encryption' }).click();
    await alice.getByRole('alertdialog').getByRole('button', { name: 'Turn on' }).click();
    for (const page of [alice, bob]) {
      await expect(page.getByTestId('encryption-state')).toHaveText('End-to-end encrypted');
      await expect(page.getByRole('button', { name: 'Turn on encryption' })).toHaveCount(0);
      await expect(page.getByRole('log', { name: 'Messages' })).toContainText('Lunch tomorrow at the usual place?');
    }

    const composer = alice.getByRole('textbox', { name: 'Message' });
    await composer.fill('This one is encrypted');
    await composer.press('Enter');
    await expect(bob.getByRole('log', { name: 'Messages' }).getByTestId('message').filter({ hasText: 'This one is encrypted' })).toBeVisible();
    const aliceApi = await apiLogin(request, 'alice');
    const conversationId = alice.url().split('/').pop();
    const history = await (await request.get(`/api/conversations/${conversationId}/messages?limit=1`, { headers: { authorization: `Bearer ${aliceApi.token}` } })).json();
    expect(history.items[0]).toMatchObject({ body: null, ciphertext: { algorithm: 'm.megolm.v1.aes-sha2' } });
  });

  await test.step('nothing of it broke the Content-Security-Policy', async () => {
    expect(cspViolations(alice)).toEqual([]);
    expect(cspViolations(bob)).toEqual([]);
  });
});
