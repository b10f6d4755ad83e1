import 'reflect-metadata';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { getDataSourceToken } from '@nestjs/typeorm';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import type { DataSource } from 'typeorm';
import type { RouteOptions } from 'fastify';
import { AppModule } from '../../src/app.module.js';
import { APP_OPTIONS, configureApp, createFastifyAdapter } from '../../src/app.setup.js';
import { serveWebClient } from '../../src/web-client.js';
import { Clock } from '../../src/common/clock.js';
import { loadConfig } from '../../src/config/app-config.js';
import { createScratchDatabase, type ScratchDatabase } from '../../src/database/scratch-database.js';
import { FakeClock } from './fake-clock.js';
import type { OpenApiContract } from './openapi-contract.js';

export interface TestApp {
  app: NestFastifyApplication;
  http: TestAgent;
  clock: FakeClock;
  db: DataSource;
  databaseUrl: string;
  close(): Promise<void>;
}

export const TEST_JWT_SECRET = 'e2e-test-secret-that-is-long-enough-0123456789';

/** The PostgreSQL server the e2e tests use, if any; without one they run on in-memory PGlite. */
export function testServerUrl(): string | undefined {
  const databaseUrl = process.env.DATABASE_URL;
  return process.env.TEST_DATABASE_URL ?? (databaseUrl?.startsWith('postgres') ? databaseUrl : undefined);
}

/**
 * Boots the whole app (real HTTP on an ephemeral port, real SQL) on a database of its own: a fresh
 * PostgreSQL database whose name contains `test`, dropped on close, or an in-memory PGlite; or on the
 * `DATABASE_URL` given in `env`, which the test made and drops itself.
 * `sameDatabaseAs` starts a second instance on another app's PostgreSQL database (scale-out tests).
 * `webClientDir` serves a web client build from that directory, as main.ts does with the real one.
 * `onRoute` sees every route Fastify registers, from the first one on. `logStream` gets the request log
 * (set LOG_LEVEL too). `contract` checks every answer against backend/openapi.json.
 */
export async function createTestApp(
  env: Record<string, string> = {},
  {
    sameDatabaseAs,
    webClientDir,
    onRoute,
    contract,
    logStream,
  }: {
    sameDatabaseAs?: TestApp;
    webClientDir?: string;
    onRoute?: (route: RouteOptions) => void;
    contract?: OpenApiContract;
    logStream?: { write(line: string): void };
  } = {},
): Promise<TestApp> {
  const server = testServerUrl();
  const given = env.DATABASE_URL;
  const scratch: ScratchDatabase | null = server && !sameDatabaseAs && !given ? await createScratchDatabase(server) : null;
  const databaseUrl = sameDatabaseAs?.databaseUrl ?? given ?? scratch?.url ?? 'pglite://memory';
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: databaseUrl,
    JWT_SECRET: TEST_JWT_SECRET,
    AUTH_RATE_LIMIT_PER_MINUTE: '10000',
    UPLOAD_RATE_LIMIT_PER_MINUTE: '10000',
    SEND_RATE_LIMIT_PER_MINUTE: '10000',
    SEARCH_RATE_LIMIT_PER_MINUTE: '10000',
    FRIEND_REQUEST_RATE_LIMIT_PER_HOUR: '10000',
    SOCKET_CONNECTS_PER_MINUTE: '10000',
    // Tests run the sweep themselves, with a moved clock.
    EXPIRY_SWEEP_INTERVAL_SECONDS: '0',
    // The generated VAPID key pair goes here, not into the repository's ./data.
    DATA_DIR: join(tmpdir(), `iris-e2e-${process.pid}`),
    ...env,
  });
  const clock = sameDatabaseAs?.clock ?? new FakeClock();
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot(config)] })
    .overrideProvider(Clock)
    .useValue(clock)
    .compile();
  const adapter = createFastifyAdapter(config, logStream);
  if (onRoute) adapter.getInstance().addHook('onRoute', onRoute);
  if (contract) adapter.getInstance().addHook('onSend', contract.onSend);
  const app = moduleRef.createNestApplication<NestFastifyApplication>(adapter, APP_OPTIONS);
  await configureApp(app, config);
  if (webClientDir) await serveWebClient(app, webClientDir);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  await app.listen(0, '127.0.0.1');
  return {
    app,
    http: request(app.getHttpServer()),
    clock,
    db: app.get<DataSource>(getDataSourceToken()),
    databaseUrl,
    close: async () => {
      await app.close();
      await scratch?.drop();
    },
  };
}
