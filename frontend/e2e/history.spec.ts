import { expect } from '@playwright/test';
import { randomUUID } from 'node:crypto';
import { apiLogin, befriendByApi, newPage, PASSWORD, register, test, uniqueName } from './support';

test('scrolling up loads older messages page by page, keeping what was on screen in place, down to the beginning', async ({ browser, request }) => {
  test.setTimeout(120_000);
  const aliceName = uniqueName('alice');
  const bobName = uniqueName('bob');
  const alice = await newPage(browser);
  await register(alice, aliceName, 'Alice History');
  expect((await request.post('/api/auth/register', { data: { username: bobName, password: PASSWORD } })).ok()).toBe(true);
  await befriendByApi(request, aliceName, bobName);
  const bobApi = await apiLogin(request, bobName);
  const aliceApi = await apiLogin(request, aliceName);
  const asBob = { authorization: `Bearer ${bobApi.token}` };
  const conversation = await (await request.post('/api/conversations', { headers: asBob, data: { userId: aliceApi.id, encrypted: false } })).json();
  // 120 messages: the newest page of 50 and two older pages.
  for (let i = 1; i <= 120; i++) {
    const sent = await request.post(`/api/conversations/${conversation.id}/messages`, { headers: asBob, data: { clientId: randomUUID(), body: `Message number ${i}` } });
    expect(sent.status()).toBe(201);
  }

  await alice.goto(`/chats/${conversation.id}`);
  const log = alice.getByRole('log', { name: 'Messages' });
  const items = log.getByTestId('message');
  await expect(items.last()).toContainText('Message number 120');
  await expect(items.last()).toBeInViewport();
  await expect(items).toHaveCount(50);

  await test.step('scrolling to the top loads the next page, and the message that was at the top stays on screen', async () => {
    const oldest = log.getByText('Message number 71', { exact: true });
    await log.evaluate((element) => (element.scrollTop = 0));
    await expect(items).toHaveCount(100);
    await expect(oldest).toBeInViewport();
    expect(await log.evaluate((element) => element.scrollTop)).toBeGreaterThan(0);
  });

  await test.step('again, to the first message and the beginning of the conversation, with nothing more to load', async () => {
    await log.evaluate((element) => (element.scrollTop = 0));
    await expect(items).toHaveCount(120);
    await log.evaluate((element) => (element.scrollTop = 0));
    await expect(alice.getByTestId('history-start')).toHaveText('This is the beginning of your conversation.');
    await expect(items.first()).toContainText('Message number 1');
    await expect(log.getByRole('button', { name: 'Load older messages' })).toHaveCount(0);
    await expect(items).toHaveCount(120);
  });
});
