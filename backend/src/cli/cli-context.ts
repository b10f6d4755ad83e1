import 'reflect-metadata';
import { HttpException, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { existsSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AppModule } from '../app.module.js';
import { AppConfig, ConfigError, loadConfig } from '../config/app-config.js';
import { DatabaseLockedError } from '../database/embedded.js';

/** A failure the command explains itself; printed as one line, exit code 1. */
export class CliError extends Error {}

/** The configuration the server would use here: `.env` (when present) under the environment, like main.ts. */
export function loadCliConfig(): AppConfig {
  if (existsSync('.env')) process.loadEnvFile('.env');
  // A short-lived command leaves the expiry sweep to the running server.
  return loadConfig({ ...process.env, EXPIRY_SWEEP_INTERVAL_SECONDS: '0' });
}

/** The whole application without HTTP: migrations run, services ready. */
export function createCliContext(config: AppConfig): Promise<INestApplicationContext> {
  return NestFactory.createApplicationContext(AppModule.forRoot(config), { logger: false, abortOnError: false });
}

/** Whether this module is the script node was started with (and not imported, e.g. by a test). */
export function isMainModule(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}

/** Runs a command: exit code 0 when it resolves, 1 with a one-line message when it throws. */
export function runCli(command: () => Promise<void>): void {
  command().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(`Error: ${errorMessage(error)}`);
      process.exit(1);
    },
  );
}

/** One line that explains a failure to the person at the terminal. */
export function errorMessage(error: unknown): string {
  if (error instanceof ConfigError) return `invalid configuration: ${error.problems.join('; ')}`;
  if (error instanceof CliError || error instanceof DatabaseLockedError) return error.message;
  if (error instanceof HttpException) {
    const response = error.getResponse();
    const message = typeof response === 'object' && response !== null && 'message' in response ? response.message : error.message;
    return String(message);
  }
  return error instanceof Error ? error.message.split('\n')[0] : String(error);
}
