import { expect, type Page } from '@playwright/test';
import { randomBytes } from 'node:crypto';
import { dumpServerState, occurrencesByEncoding } from './server-dump';
import { apiLogin, befriendByApi, messageLog as log, messageRow as row, newPage, openMessageActions as openActions, register, test, uniqueName } from './support';


test('replies, reactions and deleting with confirmation in an encrypted chat, live on both sides, with no plaintext on the server', async ({ browser, request }) => {
  test.setTimeout(180_000);
  const question = `question-${randomBytes(6).toString('hex')}`;
  const answer = `answer-${randomBytes(6).toString('hex')}`;
  const aliceName = uniqueName('alice');
  const bobName = uniqueName('bob');
  const alice = await newPage(browser);
  const bob = await newPage(browser);
  await register(alice, aliceName, 'Alice Liddell');
  await register(bob, bobName, 'Bob Builder');
  await befriendByApi(request, aliceName, bobName);
  const bobApi = await apiLogin(request, bobName);

  let conversationId = '';
  await test.step('alice opens a new chat with bob: end-to-end encrypted on both screens', async () => {
    await alice.goto('/friends');
    await alice.getByRole('button', { name: 'Message Bob Builder' }).first().click();
    await expect(alice).toHaveURL(/\/chats\/[0-9a-f-]{36}$/);
    conversationId = alice.url().split('/').pop()!;
    await bob.goto(`/chats/${conversationId}`);
    for (const page of [alice, bob]) await expect(page.getByTestId('encryption-state')).toHaveText('End-to-end encrypted');
    const composer = alice.getByRole('textbox', { name: 'Message' });
    await composer.fill(question);
    await composer.press('Enter');
    await expect(row(bob, question)).toBeVisible();
    await expect(log(bob).getByTestId('day-separator')).toHaveText('Today');
  });

  await test.step('the history is one Tab stop and its menu follows the ARIA menu pattern', async () => {
    const rows = log(alice).getByTestId('message');
    await expect(rows.first()).toHaveAttribute('tabindex', '0');
    await expect(row(alice, question).getByTestId('message-actions')).toHaveAttribute('tabindex', '-1');
    await rows.first().focus();
    await alice.keyboard.press('Enter');
    const menu = alice.getByRole('menu');
    await expect(menu.getByRole('menuitem')).toHaveText(['Reply', 'React', 'Copy text', 'Edit', 'Delete']);
    await expect(menu.getByRole('menuitem', { name: 'Reply' })).toBeFocused();
    await alice.keyboard.press('Escape');
    await expect(menu).toHaveCount(0);
    await expect(row(alice, question).getByTestId('message-actions')).toBeFocused();
  });

  await test.step('bob replies from the menu: the quote shows on both sides, and clicking it jumps to the original', async () => {
    await openActions(bob, question);
    await bob.getByRole('menuitem', { name: 'Reply' }).click();
    await expect(bob.getByTestId('reply-bar')).toContainText('Replying to Alice Liddell');
    await expect(bob.getByTestId('reply-bar')).toContainText(question);
    const composer = bob.getByRole('textbox', { name: 'Message' });
    await expect(composer).toBeFocused();
    await composer.fill(answer);
    await composer.press('Enter');
    await expect(bob.getByTestId('reply-bar')).toHaveCount(0);
    for (const page of [alice, bob]) {
      const quote = row(page, answer).getByTestId('reply-quote');
      await expect(quote).toContainText(question);
      await expect(quote).toContainText(page === alice ? 'You' : 'Alice Liddell');
    }
    await row(alice, answer).getByTestId('reply-quote').click();
    await expect(log(alice).locator(`li[data-message-id]`).filter({ hasText: question }).first()).toBeFocused();
  });

  await test.step('bob reacts; alice sees it live under her message, with who reacted; bob removes it, and alice sees that too', async () => {
    await openActions(bob, question);
    await bob.getByRole('menuitem', { name: 'React' }).click();
    await bob.getByRole('menuitem', { name: 'React with 🙏' }).click();
    const aliceChip = row(alice, question).first().getByTestId('reaction');
    await expect(aliceChip).toHaveAttribute('aria-label', '🙏 1: Bob Builder. React with 🙏');
    await expect(aliceChip).toHaveAttribute('title', 'Bob Builder');
    // Reactions are not messages: the history still has two.
    await expect(log(alice).getByTestId('message')).toHaveCount(2);
    const bobChip = row(bob, question).first().getByTestId('reaction');
    await expect(bobChip).toHaveAttribute('aria-pressed', 'true');
    await bobChip.click();
    await expect(aliceChip).toHaveCount(0);
    await expect(bobChip).toHaveCount(0);

    await openActions(bob, question);
    await bob.getByRole('menuitem', { name: 'React' }).click();
    await bob.getByRole('menuitem', { name: 'React with 😮' }).click();
    await expect(row(alice, question).first().getByTestId('reaction')).toHaveAttribute('aria-label', '😮 1: Bob Builder. React with 😮');
  });

  await test.step('the server holds the reply and the reactions as ciphertext only', async () => {
    const state = await dumpServerState();
    for (const needle of [question, answer, '🙏', '😮']) {
      expect(occurrencesByEncoding(state.database, needle), `database: ${needle}`).toEqual({});
    }
    const history = await request.get(`/api/conversations/${conversationId}/messages`, { headers: { authorization: `Bearer ${bobApi.token}` } });
    const items: { kind: string; relatesTo: string | null; deleted: boolean; ciphertext: unknown }[] = (await history.json()).items;
    // The relations are in the clear (so a deletion takes the reactions along), the content is not.
    expect(items.filter((item) => item.kind === 'reaction' && !item.deleted)).toHaveLength(1);
    expect(items.filter((item) => item.relatesTo !== null).every((item) => item.ciphertext !== null || item.deleted)).toBe(true);
  });

  await test.step('alice deletes her message: Cancel keeps it, Delete removes it and its reactions on both sides', async () => {
    await openActions(alice, question);
    await alice.getByRole('menuitem', { name: 'Delete' }).click();
    const dialog = alice.getByRole('alertdialog');
    await expect(dialog).toContainText('Delete this message?');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toHaveCount(0);
    await expect(row(bob, question).first()).toBeVisible();

    await openActions(alice, question);
    await alice.getByRole('menuitem', { name: 'Delete' }).click();
    await alice.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
    for (const page of [alice, bob]) {
      await expect(log(page).getByTestId('message').first()).toContainText('Message deleted');
      await expect(log(page).getByTestId('reaction')).toHaveCount(0);
      await expect(row(page, answer).getByTestId('reply-quote')).toHaveText('Original message deleted');
    }
    const history = await request.get(`/api/conversations/${conversationId}/messages`, { headers: { authorization: `Bearer ${bobApi.token}` } });
    const items: { kind: string; deleted: boolean }[] = (await history.json()).items;
    expect(items.filter((item) => item.kind === 'reaction' && !item.deleted)).toEqual([]);
  });
});
