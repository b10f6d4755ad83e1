import 'reflect-metadata';
import { Logger, type LogLevel as LogLevelName } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { existsSync } from 'node:fs';
import { AppModule } from './app.module.js';
import { APP_OPTIONS, configureApp, createFastifyAdapter } from './app.setup.js';
import { ConfigError, loadConfig, type LogLevel } from './config/app-config.js';
import { DatabaseLockedError } from './database/embedded.js';
import { serveWebClient } from './web-client.js';

/** Nest's logger follows LOG_LEVEL like Fastify's request log does. */
function nestLogLevels(level: LogLevel): LogLevelName[] | false {
  const order: [LogLevel, LogLevelName][] = [
    ['fatal', 'fatal'],
    ['error', 'error'],
    ['warn', 'warn'],
    ['info', 'log'],
    ['debug', 'debug'],
    ['trace', 'verbose'],
  ];
  const index = order.findIndex(([name]) => name === level);
  return index < 0 ? false : order.slice(0, index + 1).map(([, nest]) => nest);
}

async function bootstrap(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const config = loadConfig();
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), createFastifyAdapter(config), {
    ...APP_OPTIONS,
    logger: nestLogLevels(config.LOG_LEVEL),
    abortOnError: false,
  });
  await configureApp(app, config);
  const webClient = await serveWebClient(app);
  await app.listen(config.PORT, config.HOST);

  const base = `http://localhost:${config.PORT}`;
  const database = config.databaseUrl.startsWith('pglite://') ? `embedded PGlite (${config.databaseUrl})` : 'PostgreSQL';
  const docs = config.swaggerEnabled ? `, docs at ${base}/apidocs` : '';
  const web = webClient ? `web app at ${base}, ` : '';
  new Logger('Iris').log(`Iris is running: ${web}API at ${base}/api${docs} (database: ${database})`);
}

bootstrap().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof DatabaseLockedError) {
    console.error(`Iris cannot start. ${error.message}`);
  } else {
    console.error('Iris failed to start:', error);
  }
  process.exit(1);
});
