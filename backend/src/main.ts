// First: it sets V8 up before the other modules allocate.
import { useV8SettingsFor } from './v8-settings.js';
import cluster from 'node:cluster';
import { existsSync } from 'node:fs';
import { listenForStop } from './common/workers.js';
import { ConfigError, loadConfig } from './config/app-config.js';

// The app is loaded only once this process knows it will serve: a primary of several workers only
// supervises them, and stays small.
async function main(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const config = loadConfig();
  useV8SettingsFor({ embedded: config.embeddedDatabase });
  if (cluster.isPrimary) {
    const { startPrimary } = await import('./cluster/primary.js');
    if (startPrimary(config)) return;
  }
  listenForStop();
  const { serve } = await import('./server.js');
  await serve(config);
}

main().catch(async (error: unknown) => {
  const { DatabaseLockedError } = await import('./database/embedded.js');
  if (error instanceof ConfigError || error instanceof DatabaseLockedError) {
    console.error(`Iris cannot start. ${error.message}`);
  } else {
    console.error('Iris failed to start:', error);
  }
  process.exit(1);
});
