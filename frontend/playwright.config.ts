import { defineConfig } from '@playwright/test';

// Run through `npm run e2e` (e2e/run.mjs), which builds the app, starts the backend and sets BASE_URL.
export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results',
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env['CI'],
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  use: {
    baseURL: process.env['BASE_URL'] ?? 'http://127.0.0.1:3000',
    browserName: 'chromium',
    // Debian's chromium; Playwright's own browser download is not used (nor reachable in CI).
    launchOptions: {
      executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
    // The service worker (the offline app shell) only where a spec asks for it (notifications.spec.ts):
    // elsewhere its caching would only make the runs slower.
    serviceWorkers: 'block',
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
});
