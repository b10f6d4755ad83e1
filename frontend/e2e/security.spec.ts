import { expect } from '@playwright/test';
import { cspViolations, newPage, register, test, uniqueName } from './support';

const CSP_DIRECTIVES = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' blob: data:",
  "media-src 'self' blob:",
  "connect-src 'self' ws: wss:",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "frame-ancestors 'none'",
  "form-action 'self'",
];

test('the web client runs under the production Content-Security-Policy without a violation', async ({ browser }) => {
  const page = await newPage(browser);
  const response = await page.goto('/sign-in');
  const policy = (await response!.headerValue('content-security-policy')) ?? '';
  expect(policy.split(';').map((directive) => directive.trim())).toEqual(CSP_DIRECTIVES);
  expect(await response!.headerValue('x-frame-options')).toBe('DENY');
  await expect(page.getByRole('button', { name: 'Sign in', exact: true })).toBeVisible();

  // The styles are files, not inlined with an onload handler that script-src 'self' would block.
  const stylesheets = await page.locator('link[rel="stylesheet"]').evaluateAll((links) =>
    links.map((link) => ({ href: link.getAttribute('href'), onload: link.getAttribute('onload'), media: link.getAttribute('media') })),
  );
  expect(stylesheets.length).toBeGreaterThan(0);
  for (const sheet of stylesheets) expect(sheet).toEqual({ href: expect.stringMatching(/\.css$/), onload: null, media: null });

  await register(page, uniqueName('csp'), 'Policy Tester');
  await expect(page.getByText('No conversations yet')).toBeVisible();
  expect(cspViolations(page)).toEqual([]);
});

test('Swagger UI works under the same policy', async ({ browser }) => {
  const page = await newPage(browser);
  const response = await page.goto('/apidocs');
  expect(await response!.headerValue('content-security-policy')).toContain("script-src 'self'");
  await expect(page.getByRole('heading', { name: /Iris API/ })).toBeVisible();
  await expect(page.getByText('/api/conversations/{id}/messages').first()).toBeVisible();
  expect(cspViolations(page)).toEqual([]);
});
