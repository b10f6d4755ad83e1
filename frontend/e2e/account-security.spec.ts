import { expect } from '@playwright/test';
import { Secret, TOTP } from 'otpauth';
import { newPage, PASSWORD, register, signIn, test, uniqueName } from './support';

test('alice sees a new sign-in, revokes that session, turns on two-factor authentication and signs in with a recovery code', async ({ browser }) => {
  test.setTimeout(120_000);
  const name = uniqueName('alice');
  const laptop = await newPage(browser);
  const stranger = await newPage(browser);

  await test.step('a sign-in elsewhere is announced in her open session', async () => {
    // Socket.IO starts on HTTP long-polling and upgrades: "ready" may come either way.
    const socketReady = new Promise<void>((resolve) => {
      laptop.on('websocket', (socket) => socket.on('framereceived', (frame) => String(frame.payload).includes('["ready"') && resolve()));
      laptop.on('response', (response) => {
        if (response.url().includes('/socket.io/')) void response.text().then((body) => body.includes('["ready"') && resolve(), () => undefined);
      });
    });
    await register(laptop, name, 'Alice');
    await socketReady;
    await stranger.goto('/sign-in');
    await signIn(stranger, name);
    await expect(stranger).toHaveURL(/\/chats$/);
    await expect(laptop.getByText(/New sign-in on Chrome on Linux\. Not you\? Revoke it in Settings › Sessions\./)).toBeVisible();
  });

  await test.step('Settings lists both sessions; revoking the other signs it out at once', async () => {
    await laptop.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    const sessions = laptop.getByRole('list', { name: 'Signed-in sessions' });
    await expect(sessions.getByRole('listitem')).toHaveCount(2);
    await expect(sessions.getByRole('listitem').filter({ hasText: 'This device' })).toHaveCount(1);
    await sessions.getByRole('button', { name: /^Revoke / }).click();
    await laptop.getByRole('alertdialog').getByRole('button', { name: 'Revoke' }).click();
    await expect(sessions.getByRole('listitem')).toHaveCount(1);
    // The revoked browser's socket is closed with SESSION_REVOKED and it lands on the sign-in page.
    await expect(stranger).toHaveURL(/\/sign-in$/);
  });

  let recoveryCode = '';
  await test.step('she turns on two-factor authentication with the key shown next to the QR code', async () => {
    const section = laptop.getByRole('region', { name: 'Two-factor authentication' });
    await section.getByRole('button', { name: 'Set up' }).click();
    await expect(section.getByRole('img', { name: 'QR code of the authenticator key' })).toBeVisible();
    const secret = (await section.locator('code.secret').textContent())!.trim();
    const code = new TOTP({ secret: Secret.fromBase32(secret) }).generate();
    await section.getByLabel('Code from the app').fill(code);
    await section.getByLabel('Password').fill(PASSWORD);
    await section.getByRole('button', { name: 'Turn on' }).click();
    const codes = section.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem');
    await expect(codes).toHaveCount(10);
    recoveryCode = (await codes.first().textContent())!.trim();
    await section.getByRole('button', { name: 'I saved them' }).click();
    await expect(section.getByText(/^On: signing in asks for a code/)).toBeVisible();
  });

  await test.step('signing in now takes the password, then a code: a recovery code works once', async () => {
    await laptop.getByRole('button', { name: 'Sign out' }).click();
    await expect(laptop).toHaveURL(/\/sign-in$/);
    await signIn(laptop, name);
    await laptop.getByLabel('Code').fill(recoveryCode);
    await laptop.getByRole('button', { name: 'Verify' }).click();
    await expect(laptop).toHaveURL(/\/chats$/);

    await laptop.getByRole('button', { name: 'Sign out' }).click();
    await signIn(laptop, name);
    await laptop.getByLabel('Code').fill(recoveryCode);
    await laptop.getByRole('button', { name: 'Verify' }).click();
    await expect(laptop.getByRole('alert')).toHaveText('That recovery code was already used.');
  });
});
