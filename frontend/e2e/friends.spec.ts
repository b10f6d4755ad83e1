import { type APIRequestContext, expect, type Page } from '@playwright/test';
import { apiLogin, befriendByApi, newPage, PASSWORD, register, screenshots, signIn, test, uniqueName } from './support';

/** An account made through the API, for the people a scenario only needs in the background. */
async function registerByApi(request: APIRequestContext, username: string, displayName: string): Promise<{ token: string; id: string }> {
  const response = await request.post('/api/auth/register', { data: { username, password: PASSWORD, displayName } });
  expect(response.status()).toBe(201);
  const body = await response.json();
  return { token: body.accessToken, id: body.user.id };
}

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

function tab(page: Page, name: 'Chats' | 'Friends') {
  return page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name });
}

function searchBox(page: Page) {
  return page.getByRole('searchbox', { name: 'Find people' });
}

function section(page: Page, name: 'Incoming requests' | 'Sent requests' | 'Friends' | 'Blocked users' | 'People found') {
  return page.getByRole('list', { name, exact: true });
}

test('alice finds bob as she types and asks him; he accepts live; they chat with typing and "Seen"', async ({ browser, request }) => {
  test.setTimeout(120_000);
  // One prefix for the people of this test, so a search for it finds exactly them.
  const prefix = uniqueName('fr');
  const names = { alice: `${prefix}_alice`, bob: `${prefix}_bob`, carol: `${prefix}_carol`, dave: `${prefix}_dave` };
  const alice = await newPage(browser);
  const bob = await newPage(browser);

  await test.step('alice registers; her empty chat list leads her to Friends', async () => {
    await register(alice, names.alice, 'Alice Liddell');
    await alice.getByRole('link', { name: 'Find friends to start chatting' }).click();
    await expect(alice).toHaveURL(/\/friends$/);
    await expect(alice.getByRole('heading', { level: 1 })).toHaveText('Friends');
    await expect(alice.getByText('No pending requests.')).toBeVisible();
    await expect(alice.getByText('No friends yet')).toBeVisible();
    await expect(alice.getByText('You have not blocked anyone.')).toBeVisible();
  });

  await test.step('bob registers in his own browser', async () => {
    await register(bob, names.bob, 'Bob Builder');
  });

  await test.step('alice types bob\'s username and his row appears as she types; she sends a request', async () => {
    await searchBox(alice).pressSequentially(names.bob, { delay: 25 });
    // The exact username comes first; names that merely look alike (other tests' users) may follow.
    const found = section(alice, 'People found').getByRole('listitem');
    await expect(found.first()).toContainText(`@${names.bob}`);
    const row = found.filter({ hasText: `@${names.bob}` });
    await expect(row).toContainText('Bob Builder');
    await row.getByRole('button', { name: 'Add Bob Builder as a friend' }).click();
    await expect(row).toContainText('Request sent');
    await expect(row.getByRole('button', { name: 'Cancel friend request to Bob Builder' })).toBeVisible();
    await expect(alice.getByText('Friend request sent to Bob Builder.')).toBeVisible();

    await alice.getByRole('button', { name: 'Clear search' }).click();
    await expect(section(alice, 'Sent requests')).toContainText('Bob Builder');
  });

  await test.step('bob sees the request arrive without reloading (badge on the Friends tab) and accepts', async () => {
    const friendsTab = tab(bob, 'Friends');
    await expect(friendsTab.getByTestId('tab-badge')).toHaveText('1');
    await expect(friendsTab).toHaveAccessibleName('Friends, 1 friend request');
    await expect(bob.getByText('Alice Liddell wants to be your friend.')).toBeVisible();
    await friendsTab.click();
    const incoming = section(bob, 'Incoming requests');
    await expect(incoming.getByRole('listitem')).toHaveCount(1);
    await expect(incoming).toContainText('Alice Liddell');
    await incoming.getByRole('button', { name: 'Accept friend request from Alice Liddell' }).click();
    await expect(section(bob, 'Friends')).toContainText('Alice Liddell');
    await expect(bob.getByText('No pending requests.')).toBeVisible();
    await expect(bob.getByTestId('tab-badge')).toHaveCount(0);
  });

  await test.step('alice sees bob among her friends live, online, and his request gone from "Sent"', async () => {
    const friend = section(alice, 'Friends').getByRole('listitem').filter({ hasText: `@${names.bob}` });
    await expect(friend).toBeVisible();
    await expect(friend.getByTestId('online')).toHaveText('online');
    await expect(alice.getByText('Bob Builder accepted your friend request.')).toBeVisible();
    await expect(section(alice, 'Sent requests')).toHaveCount(0);
  });

  await test.step('carol\'s request reaches alice live; screenshots of requests and friends, and of a search', async () => {
    const carol = await registerByApi(request, names.carol, 'Carol Danvers');
    await registerByApi(request, names.dave, 'Dave Lister');
    const aliceId = (await apiLogin(request, names.alice)).id;
    expect((await request.post('/api/friends/requests', { headers: auth(carol.token), data: { userId: aliceId } })).status()).toBe(201);
    await expect(section(alice, 'Incoming requests')).toContainText('Carol Danvers');
    await expect(alice.getByTestId('tab-badge')).toHaveText('1');
    await expect(alice.getByTestId('incoming-count')).toHaveText('1');
    await screenshots(alice, 'friends');

    await searchBox(alice).fill(prefix);
    const found = section(alice, 'People found').getByRole('listitem');
    await expect(found.filter({ hasText: `@${names.bob}` }).getByRole('button', { name: 'Message Bob Builder' })).toBeVisible();
    await expect(found.filter({ hasText: `@${names.carol}` }).getByRole('button', { name: 'Accept friend request from Carol Danvers' })).toBeVisible();
    await expect(found.filter({ hasText: `@${names.dave}` }).getByRole('button', { name: 'Add Dave Lister as a friend' })).toBeVisible();
    await screenshots(alice, 'friends-search');
    await searchBox(alice).press('Escape');
    await expect(section(alice, 'Friends')).toBeVisible();
  });

  await test.step('bob waits in his chat list; alice opens the conversation with "Message"', async () => {
    await tab(bob, 'Chats').click();
    await expect(bob.getByText('No conversations yet')).toBeVisible();
    await section(alice, 'Friends').getByRole('button', { name: 'Message Bob Builder' }).click();
    await expect(alice).toHaveURL(/\/chats\/[0-9a-f-]+$/);
    // While the chat opens, the list's title is still a level-1 heading beside the conversation's.
    await expect(alice.getByRole('heading', { level: 1, name: 'Bob Builder', exact: true })).toBeVisible();
  });

  await test.step('they chat: each sees the other\'s messages, typing and "Seen" without reloading', async () => {
    const aliceComposer = alice.getByRole('textbox', { name: 'Message' });
    await aliceComposer.fill('Hi Bob, glad we are friends now!');
    await aliceComposer.press('Enter');

    const item = bob.getByRole('list', { name: 'Conversations' }).getByRole('listitem');
    await expect(item).toContainText('Alice Liddell');
    await expect(item).toContainText('Hi Bob, glad we are friends now!');
    await item.getByRole('link').click();
    const bobLog = bob.getByRole('log', { name: 'Messages' });
    await expect(bobLog).toContainText('Hi Bob, glad we are friends now!');
    await expect(alice.getByTestId('message').last().getByTestId('seen')).toHaveText('Seen');

    const bobComposer = bob.getByRole('textbox', { name: 'Message' });
    await bobComposer.pressSequentially('Hi Alice', { delay: 20 });
    await expect(alice.getByTestId('typing')).toHaveText('typing…');
    await bobComposer.press('Enter');
    const aliceLog = alice.getByRole('log', { name: 'Messages' });
    await expect(aliceLog.getByTestId('message').last()).toContainText('Hi Alice');
    await expect(bob.getByTestId('message').last().getByTestId('seen')).toHaveText('Seen');

    // The server relays one \`typing\` per 2 s and her last one (with her first message) may be more recent:
    // typing for about 3 s lets the composer's next \`typing\` (2.5 s later) through whatever the timing.
    await aliceComposer.pressSequentially('How are you doing today?', { delay: 120 });
    await expect(bob.getByTestId('typing')).toHaveText('typing…');
  });
});

test('decline, cancel, unfriend and block/unblock, each confirmed and reflected at once', async ({ browser, request }) => {
  test.setTimeout(120_000);
  const prefix = uniqueName('fr');
  const names = { dora: `${prefix}_dora`, emil: `${prefix}_emil`, finn: `${prefix}_finn` };
  const dora = await registerByApi(request, names.dora, 'Dora Marquez');
  const emil = await registerByApi(request, names.emil, 'Emil Sinclair');
  const finn = await registerByApi(request, names.finn, 'Finn Mertens');
  const page = await newPage(browser);
  await page.goto('/sign-in');
  await signIn(page, names.dora);
  await expect(page).toHaveURL(/\/chats$/);
  await tab(page, 'Friends').click();
  await expect(page.getByText('No friends yet')).toBeVisible();

  await test.step('dora declines emil\'s request; it is gone for both', async () => {
    expect((await request.post('/api/friends/requests', { headers: auth(emil.token), data: { userId: dora.id } })).status()).toBe(201);
    const incoming = section(page, 'Incoming requests');
    await incoming.getByRole('button', { name: 'Decline friend request from Emil Sinclair' }).click();
    await expect(incoming).toHaveCount(0);
    await expect(page.getByText('No pending requests.')).toBeVisible();
    const outgoing = await (await request.get('/api/friends/requests?direction=outgoing', { headers: auth(emil.token) })).json();
    expect(outgoing.items).toEqual([]);
  });

  await test.step('dora asks finn, then cancels from the search result', async () => {
    await searchBox(page).fill(names.finn);
    const row = section(page, 'People found').getByRole('listitem').filter({ hasText: `@${names.finn}` });
    await row.getByRole('button', { name: 'Add Finn Mertens as a friend' }).click();
    await expect(row).toContainText('Request sent');
    await row.getByRole('button', { name: 'Cancel friend request to Finn Mertens' }).click();
    await expect(row.getByRole('button', { name: 'Add Finn Mertens as a friend' })).toBeVisible();
    const incoming = await (await request.get('/api/friends/requests?direction=incoming', { headers: auth(finn.token) })).json();
    expect(incoming.items).toEqual([]);
    await page.getByRole('button', { name: 'Clear search' }).click();
  });

  await test.step('unfriend asks first: Cancel keeps emil, Unfriend removes him', async () => {
    await befriendByApi(request, names.emil, names.dora);
    const friends = section(page, 'Friends');
    await expect(friends).toContainText('Emil Sinclair');

    await friends.getByRole('button', { name: 'More actions for Emil Sinclair' }).click();
    await page.getByRole('menuitem', { name: 'Unfriend' }).click();
    const dialog = page.getByRole('alertdialog');
    await expect(dialog).toContainText('Unfriend Emil Sinclair?');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toHaveCount(0);
    await expect(friends).toContainText('Emil Sinclair');

    await friends.getByRole('button', { name: 'More actions for Emil Sinclair' }).click();
    await page.getByRole('menuitem', { name: 'Unfriend' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Unfriend' }).click();
    await expect(page.getByText('No friends yet')).toBeVisible();
    const emilsFriends = await (await request.get('/api/friends', { headers: auth(emil.token) })).json();
    expect(emilsFriends.items).toEqual([]);
  });

  await test.step('block (confirmed) ends the friendship; emil can no longer ask; unblock lets him be found again', async () => {
    await befriendByApi(request, names.emil, names.dora);
    const friends = section(page, 'Friends');
    await friends.getByRole('button', { name: 'More actions for Emil Sinclair' }).click();
    await page.getByRole('menuitem', { name: 'Block' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Block' }).click();
    await expect(section(page, 'Blocked users')).toContainText('Emil Sinclair');
    await expect(page.getByText('No friends yet')).toBeVisible();
    const refused = await request.post('/api/friends/requests', { headers: auth(emil.token), data: { userId: dora.id } });
    expect(refused.status()).toBe(404);

    await searchBox(page).fill(names.emil);
    const row = section(page, 'People found').getByRole('listitem').filter({ hasText: `@${names.emil}` });
    await expect(row).toContainText('Blocked');
    await page.getByRole('button', { name: 'Clear search' }).click();

    await section(page, 'Blocked users').getByRole('button', { name: 'Unblock Emil Sinclair' }).click();
    await expect(page.getByText('You have not blocked anyone.')).toBeVisible();
    await searchBox(page).fill(names.emil);
    await expect(row.getByRole('button', { name: 'Add Emil Sinclair as a friend' })).toBeVisible();
  });

  await test.step('an action that the server refuses is explained in words', async () => {
    // Finn blocks dora after her search listed him: her request is refused and the toast says why.
    await page.getByRole('button', { name: 'Clear search' }).click();
    await searchBox(page).fill(names.finn);
    await expect(page.getByTestId('search-loading')).toHaveCount(0);
    const row = section(page, 'People found').getByRole('listitem').filter({ hasText: `@${names.finn}` });
    await expect(row.getByRole('button', { name: 'Add Finn Mertens as a friend' })).toBeVisible();
    expect((await request.put(`/api/blocks/${dora.id}`, { headers: auth(finn.token) })).status()).toBe(204);
    await row.getByRole('button', { name: 'Add Finn Mertens as a friend' }).click();
    await expect(page.getByText('This person could not be found.')).toBeVisible();
  });

  await test.step('at 360 px wide nothing overflows sideways', async () => {
    await page.getByRole('button', { name: 'Clear search' }).click();
    await page.setViewportSize({ width: 360, height: 740 });
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
  });
});
