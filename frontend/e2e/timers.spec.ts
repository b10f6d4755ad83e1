import { expect, type Locator, type Page } from '@playwright/test';
import { apiLogin, befriendByApi, newPage, register, screenshots, test, uniqueName } from './support';

/** The seconds a countdown shows ("29 s"); NaN once it shows something else. */
async function secondsLeft(countdown: Locator): Promise<number> {
  const text = (await countdown.textContent()) ?? '';
  const match = /^\s*(\d+) s\s*$/.exec(text);
  return match ? Number(match[1]) : Number.NaN;
}

function messages(page: Page): Locator {
  return page.getByRole('log', { name: 'Messages' }).getByTestId('message');
}

test('a 30-second message counts down on both screens and vanishes on time; the chat default and "Seen" survive a reload', async ({ browser, request }) => {
  test.setTimeout(180_000);
  const aliceName = uniqueName('alice');
  const bobName = uniqueName('bob');
  const alice = await newPage(browser);
  const bob = await newPage(browser);
  let url = '';

  await test.step('alice and bob are friends and both have their conversation open', async () => {
    await register(alice, aliceName, 'Alice Timer');
    await register(bob, bobName, 'Bob Timer');
    await befriendByApi(request, aliceName, bobName);
    const aliceApi = await apiLogin(request, aliceName);
    const bobApi = await apiLogin(request, bobName);
    const opened = await request.post('/api/conversations', { headers: { authorization: `Bearer ${aliceApi.token}` }, data: { userId: bobApi.id, encrypted: false } });
    expect(opened.ok()).toBe(true);
    url = `/chats/${(await opened.json()).id}`;
    for (const page of [alice, bob]) {
      await page.goto(url);
      await expect(page.getByText('No messages yet. Say hello!')).toBeVisible();
      await expect(page.getByRole('button', { name: 'Disappearing messages: off' })).toBeVisible();
    }
  });

  await test.step('alice picks a 30-second timer for her next message, which the composer shows', async () => {
    await alice.getByRole('button', { name: /^Timer for the next message: Off/ }).click();
    const picker = alice.getByRole('group', { name: 'Disappearing messages' });
    await expect(picker).toBeVisible();
    await expect(picker.getByRole('radio', { name: 'Next message' })).toBeChecked();
    await expect(picker.getByRole('radio', { name: 'Off' })).toBeFocused();
    await picker.getByRole('radio', { name: '30 s' }).check();
    await expect(alice.getByTestId('next-timer')).toHaveText(/Next message: 30 seconds after sending/);
    await screenshots(alice, 'timer-picker');
  });

  await test.step('she sends; both screens show a countdown that goes down', async () => {
    const composer = alice.getByRole('textbox', { name: 'Message' });
    await composer.fill('This message will self-destruct');
    await composer.press('Enter');
    await expect(alice.getByRole('group', { name: 'Disappearing messages' })).toHaveCount(0);
    await expect(alice.getByTestId('next-timer')).toHaveCount(0);
    for (const page of [alice, bob]) {
      const message = messages(page).filter({ hasText: 'This message will self-destruct' });
      const countdown = message.getByTestId('countdown');
      await expect(countdown).toHaveText(/^\s*\d+ s\s*$/);
      await expect(countdown).toHaveAttribute('aria-label', /^Disappears in \d+ seconds?$/);
      const first = await secondsLeft(countdown);
      expect(first).toBeGreaterThan(20);
      expect(first).toBeLessThanOrEqual(30);
      await expect.poll(() => secondsLeft(countdown), { timeout: 5_000 }).toBeLessThan(first);
    }
  });

  await test.step('it is still there with 10 s left, and gone from both screens when the time is up', async () => {
    const aliceMessage = messages(alice).filter({ hasText: 'This message will self-destruct' });
    const bobMessage = messages(bob).filter({ hasText: 'This message will self-destruct' });
    await expect.poll(() => secondsLeft(aliceMessage.getByTestId('countdown')), { timeout: 30_000 }).toBeLessThanOrEqual(10);
    await expect(aliceMessage).toHaveCount(1);
    await expect(bobMessage).toHaveCount(1);
    await expect(aliceMessage).toHaveCount(0, { timeout: 15_000 });
    await expect(bobMessage).toHaveCount(0, { timeout: 15_000 });
    await expect(bob.getByText('No messages yet. Say hello!')).toBeVisible();
  });

  await test.step('an untimed message read by bob shows "Seen", also after alice reloads', async () => {
    const composer = alice.getByRole('textbox', { name: 'Message' });
    await composer.fill('Still there?');
    await composer.press('Enter');
    await expect(messages(bob).filter({ hasText: 'Still there?' })).toBeVisible();
    const sent = messages(alice).filter({ hasText: 'Still there?' });
    await expect(sent.getByTestId('seen')).toHaveText('Seen');
    await expect(sent.getByTestId('countdown')).toHaveCount(0);
    await alice.reload();
    await expect(messages(alice).filter({ hasText: 'Still there?' }).getByTestId('seen')).toHaveText('Seen');
  });

  await test.step('alice sets the chat default to 1 hour after reading; bob sees it live and after a reload', async () => {
    await alice.getByRole('button', { name: 'Disappearing messages: off' }).click();
    const picker = alice.getByRole('group', { name: 'Disappearing messages' });
    await expect(picker.getByRole('radio', { name: 'This chat' })).toBeChecked();
    await picker.getByRole('radio', { name: 'When read' }).check();
    await picker.getByRole('radio', { name: '1 h' }).check();
    const aliceChip = alice.getByTestId('default-timer');
    await expect(aliceChip).toHaveAccessibleName('Disappearing messages: 1 h after read');
    await expect(aliceChip).toHaveAttribute('title', 'Disappearing messages: 1 hour after reading');
    await picker.getByRole('button', { name: 'Close timer settings' }).click();
    await expect(picker).toHaveCount(0);

    const bobChip = bob.getByTestId('default-timer');
    await expect(bobChip).toHaveAccessibleName('Disappearing messages: 1 h after read');
    await expect(bob.locator('.mat-mdc-snack-bar-container').getByText('Alice Timer set new messages to disappear 1 hour after reading.')).toBeVisible();
    // The history says it too, on both sides, after the newest message.
    await expect(bob.getByRole('log', { name: 'Messages' }).getByTestId('history-notice')).toHaveText(['Alice Timer set new messages to disappear 1 hour after reading.']);
    await expect(alice.getByRole('log', { name: 'Messages' }).getByTestId('history-notice')).toHaveText(['You set new messages to disappear 1 hour after reading.']);
    await bob.reload();
    await expect(bob.getByTestId('default-timer')).toHaveAccessibleName('Disappearing messages: 1 h after read');
    await expect(bob.getByRole('button', { name: 'Timer for the next message: 1 hour after reading. Change' })).toBeVisible();
    // The server keeps the notice: after a reload it is still there, once, after the same message, on both sides.
    const bobNotice = bob.getByRole('log', { name: 'Messages' }).getByTestId('history-notice');
    await expect(bobNotice).toHaveText(['Alice Timer set new messages to disappear 1 hour after reading.']);
    await expect(messages(bob).last()).toContainText('Still there?');
    await alice.reload();
    await expect(alice.getByRole('log', { name: 'Messages' }).getByTestId('history-notice')).toHaveText(['You set new messages to disappear 1 hour after reading.']);
  });

  await test.step('her next message takes the default: its clock starts when bob reads it', async () => {
    const composer = alice.getByRole('textbox', { name: 'Message' });
    await composer.fill('Read me within the hour');
    await composer.press('Enter');
    await expect(messages(bob).filter({ hasText: 'Read me within the hour' })).toBeVisible();
    for (const page of [alice, bob]) {
      const countdown = messages(page).filter({ hasText: 'Read me within the hour' }).getByTestId('countdown');
      await expect(countdown).toHaveText(/^\s*(59:\d\d|1 h 0 min)\s*$/);
    }
    await screenshots(alice, 'conversation-timers');
    await alice.setViewportSize({ width: 360, height: 740 });
    await alice.getByTestId('timer-button').click();
    await expect(alice.getByRole('group', { name: 'Disappearing messages' })).toBeVisible();
    expect(await alice.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await bob.goto('/chats');
    await expect(bob.getByTestId('list-timer')).toHaveAccessibleName('Disappearing messages: 1 hour after reading');
    await expect(bob.getByRole('list', { name: 'Conversations' })).toContainText('Read me within the hour');
    await expect(bob.getByRole('list', { name: 'Conversations' })).not.toContainText('self-destruct');
  });
});
