import 'reflect-metadata';
import { Logger, type LogLevel as LogLevelName } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module.js';
import { APP_OPTIONS, configureApp, createFastifyAdapter } from './app.setup.js';
import { whenStopped } from './common/workers.js';
import type { AppConfig, LogLevel } from './config/app-config.js';
import { shutDown } from './shutdown.js';
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

/** Serves the app in this process (the only one, or one of several workers) until SIGTERM. */
export async function serve(config: AppConfig): Promise<void> {
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), createFastifyAdapter(config), {
    ...APP_OPTIONS,
    logger: nestLogLevels(config.LOG_LEVEL),
    abortOnError: false,
  });
  await configureApp(app, config);
  const webClient = await serveWebClient(app);
  await app.listen(config.PORT, config.HOST);

  const base = `http://localhost:${config.PORT}`;
  const database = config.embeddedDatabase ? `embedded PGlite (${config.databaseUrl})` : 'PostgreSQL';
  const docs = config.swaggerEnabled ? `, docs at ${base}/apidocs` : '';
  const web = webClient ? `web app at ${base}, ` : '';
  new Logger('Iris').log(`Iris is running: ${web}API at ${base}/api${docs} (database: ${database})`);

  const stop = async (signal: NodeJS.Signals) => {
    const logger = new Logger('Iris');
    logger.log(`${signal}: stopping within ${config.SHUTDOWN_TIMEOUT_MS} ms`);
    // The last word, whatever a step below waits for.
    setTimeout(() => process.exit(1), config.SHUTDOWN_TIMEOUT_MS).unref();
    const { timedOut } = await shutDown(app, config.SHUTDOWN_TIMEOUT_MS);
    if (timedOut) logger.warn('Stopped after SHUTDOWN_TIMEOUT_MS with work cut short');
    process.exit(timedOut ? 1 : 0);
  };
  whenStopped((name) => void stop(name));
}
