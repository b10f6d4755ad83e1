import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDataSource } from '../database/data-source.js';
import { createScratchDatabase, type ScratchDatabase } from '../database/scratch-database.js';
import { renderMigration, writeMigrationIndex } from '../database/migration-file.js';
import { functionDrift, staleFunctions } from '../database/schema/drift.js';
import { entities } from '../entities.js';

/**
 * Compares the entities and the schema functions (database/schema/functions.ts) with a freshly migrated
 * scratch database and writes the difference as a new migration.
 *   npm run migration:generate -- AddThing     writes src/database/migrations/<timestamp>-AddThing.ts
 *   npm run migration:check                    exits 1 if the entities or functions and the migrations disagree
 * Uses PostgreSQL when TEST_DATABASE_URL is set (a scratch database is created and dropped), else in-memory PGlite.
 */
const migrationsDir = join(dirname(fileURLToPath(import.meta.url)), '../../src/database/migrations');

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const check = args.includes('--check');
  const name = args.find((arg) => !arg.startsWith('--'));
  if (!check && !(name && /^[A-Z][A-Za-z0-9]*$/.test(name))) {
    console.error('Usage: npm run migration:generate -- PascalCaseName');
    return 2;
  }

  const serverUrl = process.env.TEST_DATABASE_URL;
  const scratch: ScratchDatabase | null = serverUrl ? await createScratchDatabase(serverUrl, 'iris_migration_test') : null;
  const dataSource = await openDataSource(scratch?.url ?? 'pglite://memory', { entities });
  let up: string[];
  let down: string[];
  try {
    const sql = await dataSource.driver.createSchemaBuilder().log();
    const functions = await functionDrift(dataSource);
    // A function whose arguments changed: the old signature is dropped first, and comes back in down.
    const stale = await staleFunctions(dataSource);
    up = [...sql.upQueries.map((query) => query.query), ...stale.map((fn) => `DROP FUNCTION ${fn.signature}`), ...functions.map(({ fn }) => fn.sql)];
    down = [
      ...functions.reverse().map(({ fn, current }) => current ?? `DROP FUNCTION ${fn.signature}`),
      ...stale.reverse().map((fn) => fn.definition),
      ...sql.downQueries.reverse().map((query) => query.query),
    ];
  } finally {
    await dataSource.destroy();
    await scratch?.drop();
  }

  const engine = scratch ? 'PostgreSQL' : 'PGlite';
  if (check) {
    if (up.length === 0) {
      console.log(`Migrations match the entities and schema functions (${engine}).`);
      return 0;
    }
    console.error(`Entities or schema functions and migrations disagree (${engine}); run npm run migration:generate -- Name. Missing:`);
    for (const query of up) console.error(`  ${query};`);
    return 1;
  }
  if (up.length === 0) {
    console.log('No schema changes: nothing to generate.');
    return 0;
  }
  const timestamp = Date.now();
  const file = join(migrationsDir, `${timestamp}-${name}.ts`);
  writeFileSync(file, renderMigration(`${name}${timestamp}`, up, down));
  writeMigrationIndex(migrationsDir);
  console.log(`Wrote ${file}; review it before committing.`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
