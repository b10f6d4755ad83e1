import { expect } from '@playwright/test';
import { randomBytes } from 'node:crypto';
import { encryptedPair, messageLog, messageRow, newPage, routeSocket, send, type SocketSwitch, test } from './support';

test('with the socket up a message goes over it, with no request; with the socket down it goes over REST', async ({ browser, request }) => {
  test.setTimeout(120_000);
  let socket!: SocketSwitch;
  const { alice, bob, conversationId } = await encryptedPair(browser, request, async () => {
    const page = await newPage(browser);
    socket = await routeSocket(page);
    return page;
  });

  // Every send alice's browser makes over REST: the route that the socket replaces.
  const posts: string[] = [];
  alice.on('request', (sent) => {
    if (sent.method() === 'POST' && new URL(sent.url()).pathname === `/api/conversations/${conversationId}/messages`) posts.push(sent.url());
  });
  const socketSends = () => socket.sent.filter((frame) => frame.includes('"message.send"')).length;
  const readies = () => socket.received.filter((frame) => frame.startsWith('42["ready"')).length;

  await test.step('socket up: the message goes as message.send, no POST, and reaches bob once', async () => {
    await expect.poll(readies).toBeGreaterThan(0);
    const before = socketSends();
    const text = `over-socket-${randomBytes(6).toString('hex')}`;
    await send(alice, text);
    await expect(messageRow(bob, text)).toHaveCount(1);
    await expect(messageRow(alice, text).getByTestId('pending')).toHaveCount(0);
    expect(socketSends()).toBe(before + 1);
    expect(posts).toEqual([]);
  });

  await test.step('socket down: the message goes over REST, and reaches bob once', async () => {
    await socket.down();
    await expect(alice.getByText('Reconnecting…')).toBeVisible();
    const before = socketSends();
    const text = `over-rest-${randomBytes(6).toString('hex')}`;
    await send(alice, text);
    await expect(messageRow(bob, text)).toHaveCount(1);
    await expect(messageRow(alice, text).getByTestId('pending')).toHaveCount(0);
    expect(posts).toHaveLength(1);
    expect(socketSends()).toBe(before);
  });

  await test.step('socket back: sends go over it again', async () => {
    const readiesBefore = readies();
    socket.up();
    await expect.poll(readies, { timeout: 15_000 }).toBeGreaterThan(readiesBefore);
    // Socket.IO's own reconnection, after at most its longest delay (5 s).
    await expect(alice.getByText('Reconnecting…')).toHaveCount(0, { timeout: 15_000 });
    const before = socketSends();
    const text = `socket-again-${randomBytes(6).toString('hex')}`;
    await send(alice, text);
    await expect(messageRow(bob, text)).toHaveCount(1);
    expect(socketSends()).toBe(before + 1);
    expect(posts).toHaveLength(1);
    await expect(messageLog(alice).getByTestId('pending')).toHaveCount(0);
  });
});
