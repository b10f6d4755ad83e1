import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppModule } from '../app.module.js';
import { APP_OPTIONS, configureApp, createFastifyAdapter } from '../app.setup.js';
import { createOpenApiDocument } from '../openapi-document.js';
import { loadConfig } from '../config/app-config.js';

/** Writes backend/openapi.json from the code; needs no database (preview mode builds no providers). */
async function main(): Promise<void> {
  const config = loadConfig({ LOG_LEVEL: 'silent', SWAGGER_ENABLED: 'false' });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), createFastifyAdapter(config), {
    ...APP_OPTIONS,
    preview: true,
    logger: false,
  });
  await configureApp(app, config);
  const target = join(dirname(fileURLToPath(import.meta.url)), '../../openapi.json');
  writeFileSync(target, `${JSON.stringify(createOpenApiDocument(app), null, 2)}\n`);
  await app.close();
  console.log(`Wrote ${target}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
