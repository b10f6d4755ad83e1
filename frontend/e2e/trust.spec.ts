import { expect, type Page } from '@playwright/test';
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { apiLogin, befriendByApi, newPage, PASSWORD, register, signIn, test, uniqueName } from './support';

test('a key backup opened with the recovery key lets alice’s new browser read what came before it and verifies that browser', async ({ browser, request }) => {
  test.setTimeout(180_000);
  const before = `before-backup-${randomBytes(6).toString('hex')}`;
  const fromBob = `bob-before-${randomBytes(6).toString('hex')}`;
  const aliceName = uniqueName('alice');
  const bobName = uniqueName('bob');
  const alice = await newPage(browser);
  const bob = await newPage(browser);
  await register(alice, aliceName, 'Alice Liddell');
  await register(bob, bobName, 'Bob Builder');
  await befriendByApi(request, aliceName, bobName);

  await alice.goto('/friends');
  await alice.getByRole('button', { name: 'Message Bob Builder' }).first().click();
  await expect(alice).toHaveURL(/\/chats\/[0-9a-f-]+$/);
  const conversationId = new URL(alice.url()).pathname.split('/').pop()!;
  await bob.goto(`/chats/${conversationId}`);
  await alice.getByRole('textbox', { name: 'Message' }).fill(before);
  await alice.getByRole('textbox', { name: 'Message' }).press('Enter');
  await expect(bob.getByRole('log', { name: 'Messages' }).getByTestId('message').filter({ hasText: before })).toBeVisible();
  await bob.getByRole('textbox', { name: 'Message' }).fill(fromBob);
  await bob.getByRole('textbox', { name: 'Message' }).press('Enter');
  await expect(alice.getByRole('log', { name: 'Messages' }).getByTestId('message').filter({ hasText: fromBob })).toBeVisible();

  // Alice's first browser made her identity and is verified by it; she sets up the backup and keeps the key.
  await alice.goto('/settings');
  const aliceEncryption = alice.getByRole('region', { name: 'Encryption' });
  await expect(aliceEncryption.getByTestId('device-verification')).toContainText('This browser is verified');
  await aliceEncryption.getByRole('button', { name: 'Set up key backup' }).click();
  const recoveryKey = (await aliceEncryption.getByTestId('recovery-key').textContent())!.trim();
  expect(recoveryKey).toMatch(/^([1-9A-HJ-NP-Za-km-z]{4} ){11}[1-9A-HJ-NP-Za-km-z]{1,4}$/);
  await aliceEncryption.getByRole('button', { name: 'I saved it' }).click();
  await expect(aliceEncryption.getByTestId('backup-status')).toContainText('Key backup is on');
  // The server holds the backup: two Megolm sessions (hers and bob's), as ciphertext only.
  const api = await apiLogin(request, aliceName);
  const backup = await (await request.get('/api/e2ee/room_keys/version', { headers: { authorization: `Bearer ${api.token}` } })).json();
  expect(backup.count).toBe(2);
  const keys = await (await request.get(`/api/e2ee/room_keys/keys?version=${backup.version}`, { headers: { authorization: `Bearer ${api.token}` } })).json();
  expect(JSON.stringify(keys)).not.toContain('session_key');

  // A new browser: without the key, the earlier messages say why they cannot be read.
  const aliceNew = await newPage(browser);
  await aliceNew.goto('/sign-in');
  await signIn(aliceNew, aliceName);
  await expect(aliceNew).toHaveURL(/\/chats/);
  await aliceNew.goto(`/chats/${conversationId}`);
  const newLog = aliceNew.getByRole('log', { name: 'Messages' }).getByTestId('message');
  await expect(newLog).toHaveCount(2);
  await expect(newLog.nth(0)).toContainText('Sent before this device signed in');
  await expect(newLog.nth(1)).toContainText('Sent before this device signed in');

  // A wrong key is refused in words; the right one restores the history and verifies the browser.
  await aliceNew.goto('/settings');
  const newEncryption = aliceNew.getByRole('region', { name: 'Encryption' });
  await expect(newEncryption.getByTestId('device-verification')).toContainText('This browser is not verified yet');
  await newEncryption.getByLabel('Recovery key').fill(recoveryKey.slice(0, -2));
  await newEncryption.getByRole('button', { name: 'Restore' }).click();
  await expect(newEncryption.getByRole('alert')).toContainText('recovery key');
  await newEncryption.getByLabel('Recovery key').fill(recoveryKey);
  await newEncryption.getByRole('button', { name: 'Restore' }).click();
  await expect(newEncryption.getByRole('status')).toContainText('Restored 2 message keys. This browser is now verified.');
  await expect(newEncryption.getByTestId('device-verification')).toContainText('This browser is verified');

  await aliceNew.goto(`/chats/${conversationId}`);
  await expect(newLog.filter({ hasText: before })).toBeVisible();
  await expect(newLog.filter({ hasText: fromBob })).toBeVisible();
});

/** Matrix canonical JSON: sorted keys, no spaces. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

const unpadded = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '');

/** A new ed25519 key pair: its unpadded base64 public key and a signer of canonical JSON. */
function ed25519Key() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const id = unpadded(Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url'));
  return { id, sign: (value: object) => unpadded(sign(null, Buffer.from(canonical(value)), privateKey)) };
}

/** Cross-signing keys made outside any browser (master signs itself and both subkeys): an identity reset as an API client does it. */
function newIdentity(userId: string) {
  const [master, selfSigning, userSigning] = [ed25519Key(), ed25519Key(), ed25519Key()];
  const key = (usage: string, pair: ReturnType<typeof ed25519Key>) => ({ user_id: userId, usage: [usage], keys: { [`ed25519:${pair.id}`]: pair.id } });
  const signed = (value: object) => ({ ...value, signatures: { [userId]: { [`ed25519:${master.id}`]: master.sign(value) } } });
  return { master_key: signed(key('master', master)), self_signing_key: signed(key('self_signing', selfSigning)), user_signing_key: signed(key('user_signing', userSigning)) };
}

/** The seven emoji a verification dialog shows, as "symbol description" strings. */
async function emojiOf(page: Page): Promise<string[]> {
  const items = page.getByTestId('verification-emoji').getByRole('listitem');
  await expect(items).toHaveCount(7);
  return (await items.allTextContents()).map((text) => text.replace(/\s+/g, ' ').trim());
}

test('alice and bob verify each other by comparing emoji; a device added to alice’s account behind her back makes bob’s chat warn before he sends', async ({ browser, request }) => {
  test.setTimeout(180_000);
  const aliceName = uniqueName('alice');
  const bobName = uniqueName('bob');
  const alice = await newPage(browser);
  const bob = await newPage(browser);
  await register(alice, aliceName, 'Alice Liddell');
  await register(bob, bobName, 'Bob Builder');
  await befriendByApi(request, aliceName, bobName);
  await alice.goto('/friends');
  await alice.getByRole('button', { name: 'Message Bob Builder' }).first().click();
  await expect(alice).toHaveURL(/\/chats\/[0-9a-f-]+$/);
  const conversationId = new URL(alice.url()).pathname.split('/').pop()!;
  await bob.goto(`/chats/${conversationId}`);
  const hello = `hello-${randomBytes(4).toString('hex')}`;
  await alice.getByRole('textbox', { name: 'Message' }).fill(hello);
  await alice.getByRole('textbox', { name: 'Message' }).press('Enter');
  await expect(bob.getByRole('log', { name: 'Messages' }).getByTestId('message').filter({ hasText: hello })).toBeVisible();

  // Alice starts; bob accepts; both screens show the same seven emoji, and both confirm.
  await alice.getByRole('button', { name: 'Verify Bob Builder' }).click();
  const bobDialog = bob.getByRole('dialog', { name: 'Emoji verification' });
  await bobDialog.getByRole('button', { name: 'Accept' }).click();
  const aliceEmoji = await emojiOf(alice);
  const bobEmoji = await emojiOf(bob);
  expect(aliceEmoji).toEqual(bobEmoji);
  expect(new Set(aliceEmoji).size).toBeGreaterThan(1);
  await alice.getByRole('dialog').getByRole('button', { name: 'They match' }).click();
  await bobDialog.getByRole('button', { name: 'They match' }).click();
  for (const page of [alice, bob]) {
    await expect(page.getByRole('dialog').getByRole('status')).toContainText('Verified');
    await page.getByRole('dialog').getByRole('button', { name: 'Done' }).click();
    await expect(page.getByTestId('verified-badge')).toBeVisible();
  }
  await expect(bob.getByTestId('trust-warning')).toHaveCount(0);
  // Both histories say so, after the message that came before, and still after a reload.
  const notices = (page: Page) => page.getByRole('log', { name: 'Messages' }).getByTestId('trust-notice');
  await expect(notices(alice)).toHaveText([/You verified Bob Builder/]);
  await expect(notices(bob)).toHaveText([/You verified Alice Liddell/]);
  await alice.reload();
  await expect(notices(alice)).toHaveText([/You verified Bob Builder/]);
  const aliceItems = alice.getByRole('log', { name: 'Messages' }).getByRole('listitem');
  await expect(aliceItems.last()).toHaveAttribute('data-testid', 'trust-notice');

  // Another session of alice's uploads keys for a device she never verified (as a malicious server could).
  const session = await apiLogin(request, aliceName);
  const auth = { authorization: `Bearer ${session.token}` };
  const whoami = await (await request.get('/api/e2ee/whoami', { headers: auth })).json();
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const ed25519 = unpadded(Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url'));
  const deviceKeys = {
    user_id: whoami.user_id,
    device_id: whoami.device_id,
    algorithms: ['m.olm.v1.curve25519-aes-sha2', 'm.megolm.v1.aes-sha2'],
    keys: { [`curve25519:${whoami.device_id}`]: unpadded(randomBytes(32)), [`ed25519:${whoami.device_id}`]: ed25519 },
  };
  const signature = unpadded(sign(null, Buffer.from(canonical(deviceKeys)), privateKey));
  const upload = await request.post('/api/e2ee/keys/upload', {
    headers: auth,
    data: { device_keys: { ...deviceKeys, signatures: { [whoami.user_id]: { [`ed25519:${whoami.device_id}`]: signature } } } },
  });
  expect(upload.ok()).toBe(true);

  // Bob's chat warns before his next send, and nothing goes out until he decides.
  const warning = bob.getByTestId('trust-warning');
  await expect(warning).toContainText('Alice Liddell has a new device that they have not verified');
  await warning.getByRole('button', { name: 'Send anyway' }).click();
  await expect(warning).toHaveCount(0);
  const after = `after-${randomBytes(4).toString('hex')}`;
  await bob.getByRole('textbox', { name: 'Message' }).fill(after);
  await bob.getByRole('textbox', { name: 'Message' }).press('Enter');
  await expect(alice.getByRole('log', { name: 'Messages' }).getByTestId('message').filter({ hasText: after })).toBeVisible();

  // Alice's identity is reset (only with her password): bob's history says it changed, and his chat warns again.
  const identity = newIdentity(whoami.user_id);
  const reset = await request.post('/api/e2ee/keys/device_signing/upload', { headers: auth, data: identity });
  expect((await reset.json()).code).toBe('PASSWORD_REQUIRED');
  const withPassword = await request.post('/api/e2ee/keys/device_signing/upload', { headers: auth, data: { ...identity, auth: { type: 'm.login.password', password: PASSWORD } } });
  expect(withPassword.ok()).toBe(true);
  await expect(notices(bob).last()).toContainText('Alice Liddell’s identity changed');
  await expect(warning).toContainText('Alice Liddell’s identity changed since you verified it');
  await bob.reload();
  await expect(notices(bob)).toHaveText([/You verified Alice Liddell/, /Alice Liddell’s identity changed/]);
});

test('“Verify this browser”: alice’s new browser is verified from her signed-in one by comparing emoji', async ({ browser }) => {
  test.setTimeout(120_000);
  const aliceName = uniqueName('alice');
  const alice = await newPage(browser);
  await register(alice, aliceName, 'Alice Liddell');
  await alice.goto('/settings');
  await expect(alice.getByRole('region', { name: 'Encryption' }).getByTestId('device-verification')).toContainText('This browser is verified');

  const aliceNew = await newPage(browser);
  await aliceNew.goto('/sign-in');
  await signIn(aliceNew, aliceName);
  await expect(aliceNew).toHaveURL(/\/chats/);
  await aliceNew.goto('/settings');
  const encryption = aliceNew.getByRole('region', { name: 'Encryption' });
  await expect(encryption.getByTestId('device-verification')).toContainText('This browser is not verified yet');
  await encryption.getByRole('button', { name: 'Verify this browser' }).click();

  const incoming = alice.getByRole('dialog', { name: 'Emoji verification' });
  await expect(incoming).toContainText('Another of your devices wants to verify');
  await incoming.getByRole('button', { name: 'Accept' }).click();
  expect(await emojiOf(aliceNew)).toEqual(await emojiOf(alice));
  await incoming.getByRole('button', { name: 'They match' }).click();
  await aliceNew.getByRole('dialog').getByRole('button', { name: 'They match' }).click();
  for (const page of [alice, aliceNew]) {
    await expect(page.getByRole('dialog').getByRole('status')).toContainText('Verified');
    await page.getByRole('dialog').getByRole('button', { name: 'Done' }).click();
  }
  await expect(encryption.getByTestId('device-verification')).toContainText('This browser is verified');
});

test('Settings › Sessions: alice verifies her new browser from the list of her sessions by comparing emoji', async ({ browser }) => {
  test.setTimeout(120_000);
  const aliceName = uniqueName('alice');
  const alice = await newPage(browser);
  await register(alice, aliceName, 'Alice Liddell');
  await alice.goto('/settings');
  await expect(alice.getByRole('region', { name: 'Encryption' }).getByTestId('device-verification')).toContainText('This browser is verified');

  const aliceNew = await newPage(browser);
  await aliceNew.goto('/sign-in');
  await signIn(aliceNew, aliceName);
  await expect(aliceNew).toHaveURL(/\/chats/);
  await aliceNew.goto('/settings');
  const encryption = aliceNew.getByRole('region', { name: 'Encryption' });
  await expect(encryption.getByTestId('device-verification')).toContainText('This browser is not verified yet');
  // The new browser's own list offers nothing to verify: it cannot sign.
  await expect(aliceNew.getByRole('region', { name: 'Sessions' }).getByRole('button', { name: /^Verify / })).toHaveCount(0);

  await alice.reload();
  const sessions = alice.getByRole('region', { name: 'Sessions' });
  const other = sessions.locator('li:not([aria-current])');
  await expect(other).toContainText('encryption device');
  await expect(other).not.toContainText('verified encryption device');
  await sessions.getByRole('button', { name: /^Verify / }).click();

  const incoming = aliceNew.getByRole('dialog', { name: 'Emoji verification' });
  await expect(incoming).toContainText('Another of your devices wants to verify');
  await incoming.getByRole('button', { name: 'Accept' }).click();
  expect(await emojiOf(alice)).toEqual(await emojiOf(aliceNew));
  await alice.getByRole('dialog').getByRole('button', { name: 'They match' }).click();
  await incoming.getByRole('button', { name: 'They match' }).click();
  for (const page of [alice, aliceNew]) {
    await expect(page.getByRole('dialog').getByRole('status')).toContainText('Verified');
    await page.getByRole('dialog').getByRole('button', { name: 'Done' }).click();
  }
  await expect(encryption.getByTestId('device-verification')).toContainText('This browser is verified');
  await expect(sessions.getByRole('listitem').filter({ hasText: 'verified encryption device' })).toHaveCount(2);
  await expect(sessions.getByRole('button', { name: /^Verify / })).toHaveCount(0);
});
