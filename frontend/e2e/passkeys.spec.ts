import AxeBuilder from '@axe-core/playwright';
import { type CDPSession, expect, type Page } from '@playwright/test';
import { Secret, TOTP } from 'otpauth';
import { apiLogin, PASSWORD, register, signIn, test, uniqueName } from './support';

// A passkey's relying party is a domain: Chromium refuses WebAuthn on an IP address, so this spec opens
// the same server as localhost (the server's default relying party, WEBAUTHN_RP_ID).
test.use({ baseURL: (process.env['BASE_URL'] ?? 'http://127.0.0.1:3000').replace('127.0.0.1', 'localhost') });

/** Chromium's virtual authenticator, as a phone's or laptop's built-in one: discoverable passkeys, user verified. */
async function virtualAuthenticator(page: Page): Promise<{ cdp: CDPSession; authenticatorId: string }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return { cdp, authenticatorId };
}

async function axeViolations(page: Page, selector: string): Promise<string[]> {
  const found: string[] = [];
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    const results = await new AxeBuilder({ page }).include(selector).analyze();
    for (const violation of results.violations) found.push(`${colorScheme}: ${violation.id} (${violation.impact}) at ${violation.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
  return found;
}

test('pat adds a passkey in Settings, signs out, signs in with it and no password, and a replayed assertion is refused', async ({ page, request }) => {
  test.setTimeout(120_000);
  const name = uniqueName('pat');
  const { cdp, authenticatorId } = await virtualAuthenticator(page);
  const section = page.getByRole('region', { name: 'Passkeys' });

  await test.step('Settings › Passkeys: add one named "Laptop"', async () => {
    await register(page, name, 'Pat');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    await expect(section.getByText('You have no passkeys yet.')).toBeVisible();
    await section.getByRole('button', { name: 'Add a passkey' }).click();
    await expect(section.getByText('Enter a name of up to 64 characters, to tell your passkeys apart.')).toBeVisible();
    await section.getByLabel('Name for a new passkey').fill('Laptop');
    await section.getByRole('button', { name: 'Add a passkey' }).click();
    const item = section.getByRole('list', { name: 'Your passkeys' }).getByRole('listitem');
    await expect(item).toHaveCount(1);
    await expect(item).toContainText('Laptop');
    await expect(item).toContainText('never used');
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials).toHaveLength(1);
    expect(credentials[0]!.isResidentCredential).toBe(true);
    expect(await axeViolations(page, 'app-passkeys-section')).toEqual([]);
  });

  await test.step('adding the same authenticator again is refused clearly', async () => {
    await section.getByLabel('Name for a new passkey').fill('Laptop again');
    await section.getByRole('button', { name: 'Add a passkey' }).click();
    await expect(section.getByRole('alert')).toHaveText('This device already holds a passkey for your account.');
    await expect(section.getByRole('list', { name: 'Your passkeys' }).getByRole('listitem')).toHaveCount(1);
  });

  let captured: unknown = null;
  await test.step('signed out, "Sign in with a passkey" signs pat in without a username or password', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL(/\/sign-in$/);
    // The user declines (no fingerprint): the page says so and stays.
    await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: false });
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await expect(page.getByRole('alert')).toHaveText('The passkey request was cancelled or not allowed. Try again when you are ready.');
    await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: true });

    const signInRequest = page.waitForRequest((r) => r.url().endsWith('/api/auth/passkeys/login') && r.method() === 'POST');
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    captured = (await signInRequest).postDataJSON();
    await expect(page).toHaveURL(/\/chats$/);
    await expect(page.getByLabel('Username')).toHaveCount(0);
  });

  await test.step('the captured assertion, posted again, is refused', async () => {
    const replay = await request.post('/api/auth/passkeys/login', { data: captured });
    expect(replay.status()).toBe(401);
    expect((await replay.json()).code).toBe('PASSKEY_CHALLENGE_USED');
  });

  const item = section.getByRole('list', { name: 'Your passkeys' }).getByRole('listitem');
  await test.step('Settings shows when it was last used, and it can be renamed', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    await expect(item).toContainText('last used');
    await section.getByRole('button', { name: 'Rename Laptop' }).click();
    await section.getByLabel('New name for Laptop').fill('Work laptop');
    await section.getByRole('button', { name: 'Save' }).click();
    await expect(item).toContainText('Work laptop');
  });

  await test.step('with two-factor authentication on, "Use a passkey" stands in for the code', async () => {
    const { token } = await apiLogin(request, name);
    const headers = { authorization: `Bearer ${token}` };
    const setup = await (await request.post('/api/auth/2fa/totp/setup', { headers })).json();
    const code = new TOTP({ secret: Secret.fromBase32(setup.secret) }).generate();
    expect((await request.post('/api/auth/2fa/totp/enable', { headers, data: { code, password: PASSWORD } })).status()).toBe(200);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL(/\/sign-in$/);
    await signIn(page, name);
    await expect(page.getByText('Two-factor authentication is on for this account.')).toBeVisible();
    await page.getByRole('button', { name: 'Use a passkey' }).click();
    await expect(page).toHaveURL(/\/chats$/);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
  });

  await test.step('removing it needs the password', async () => {
    await section.getByRole('button', { name: 'Remove Work laptop' }).click();
    await section.getByLabel('Password').fill('not my password');
    await section.getByRole('button', { name: 'Remove', exact: true }).click();
    await expect(section.getByRole('alert')).toHaveText('That password is not right.');
    await section.getByLabel('Password').fill('correct horse battery');
    await section.getByRole('button', { name: 'Remove', exact: true }).click();
    await expect(section.getByText('You have no passkeys yet.')).toBeVisible();
  });
});
