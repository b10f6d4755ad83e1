// Throwaway PostgreSQL databases for the runner scripts. The name always contains "test", like the
// scratch databases of the Jest suites (backend/src/database/scratch-database.ts), so a mistyped URL
// can never point a run at a real database.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Runs one statement on the server `serverUrl` points at, on a connection of its own. */
export async function adminQuery(serverUrl, sql) {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * Creates `<prefix>_<random hex>` on the server of `serverUrl`.
 * @returns {Promise<{ name: string, url: string, drop: () => Promise<void> }>} `drop` never throws: it
 * reports on stderr, so a clean-up goes on with its other steps.
 */
export async function createScratchDatabase(serverUrl, prefix) {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  if (!name.includes('test')) throw new Error(`Refusing to create database "${name}": scratch databases must have "test" in their name`);
  await adminQuery(serverUrl, `CREATE DATABASE "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () =>
      adminQuery(serverUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).then(
        () => undefined,
        (error) => console.error(`could not drop database ${name}: ${error.message}`),
      ),
  };
}
