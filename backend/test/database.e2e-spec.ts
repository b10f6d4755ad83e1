import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDataSource } from '../src/database/data-source.js';
import { DatabaseLockedError } from '../src/database/embedded.js';
import { functionDrift, staleFunctions } from '../src/database/schema/drift.js';
import { schemaFunctions } from '../src/database/schema/functions.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';

describe('database (e2e)', () => {
  describe('embedded PGlite directory', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'iris-db-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('keeps data across restarts and refuses a second opener in this process', async () => {
      const url = `pglite://${join(dir, 'db')}`;
      const first = await openDataSource(url);
      try {
        await first.query(`INSERT INTO users (username, display_name, password_hash) VALUES ('persisted', 'P', 'x')`);
        await expect(openDataSource(url)).rejects.toThrow(DatabaseLockedError);
      } finally {
        await first.destroy();
      }
      const second = await openDataSource(url);
      expect(await second.query(`SELECT username FROM users`)).toEqual([{ username: 'persisted' }]);
      await second.destroy();
    });

    it('refuses a directory another running process holds, naming it', async () => {
      writeFileSync(join(dir, 'db.lock'), String(process.ppid));
      await expect(openDataSource(`pglite://${join(dir, 'db')}`)).rejects.toThrow(
        `already in use by process ${process.ppid}`,
      );
    });

    it('takes over a lock left by a process that no longer runs', async () => {
      const url = `pglite://${join(dir, 'db')}`;
      writeFileSync(join(dir, 'db.lock'), '999999999');
      const dataSource = await openDataSource(url);
      await dataSource.destroy();
    });
  });

  describe('schema', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp();
    });
    afterAll(() => t.close());

    it('has citext and pg_trgm installed', async () => {
      const rows: { extname: string }[] = await t.db.query(`SELECT extname FROM pg_extension ORDER BY extname`);
      expect(rows.map((r) => r.extname)).toEqual(expect.arrayContaining(['citext', 'pg_trgm']));
    });

    it('has no pending migrations and matches the entities', async () => {
      expect(await t.db.showMigrations()).toBe(false);
      const diff = await t.db.driver.createSchemaBuilder().log();
      expect(diff.upQueries.map((q) => q.query)).toEqual([]);
    });

    it('holds the functions of database/schema/functions.ts as written there', async () => {
      expect(await functionDrift(t.db)).toEqual([]);
    });

    it('takes one pair lock whichever of the two users comes first', async () => {
      const [a, b] = ['aaaaaaaa-0000-4000-8000-000000000001', 'bbbbbbbb-0000-4000-8000-000000000002'];
      const runner = t.db.createQueryRunner();
      await runner.connect();
      await runner.startTransaction();
      try {
        const advisoryLocks = async () =>
          Number((await runner.query(`SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()`))[0].n);
        await runner.query(`SELECT lock_pair($1, $2)`, [a, b]);
        expect(await advisoryLocks()).toBe(1);
        await runner.query(`SELECT lock_pair($1, $2)`, [b, a]);
        expect(await advisoryLocks()).toBe(1);
      } finally {
        await runner.rollbackTransaction();
        await runner.release();
      }
    });

    it('tells a function that differs from the schema source', async () => {
      const lockPair = schemaFunctions.find((fn) => fn.signature.startsWith('lock_pair'))!;
      await t.db.query(lockPair.sql.replace('pg_advisory_xact_lock', 'pg_advisory_xact_lock_shared'));
      try {
        expect((await functionDrift(t.db)).map((drift) => drift.fn.signature)).toEqual(['lock_pair(uuid, uuid)']);
      } finally {
        await t.db.query(lockPair.sql);
      }
      expect(await functionDrift(t.db)).toEqual([]);
    });

    it('tells an old signature of a schema function left beside the new one, with its definition', async () => {
      expect(await staleFunctions(t.db)).toEqual([]);
      await t.db.query(`CREATE FUNCTION send_message(p_body text) RETURNS void LANGUAGE sql AS $$ SELECT $$`);
      try {
        const stale = await staleFunctions(t.db);
        expect(stale).toEqual([{ signature: 'send_message(text)', definition: expect.stringContaining('CREATE OR REPLACE FUNCTION') }]);
        // The generated migration drops it by that signature.
        await t.db.query(`DROP FUNCTION ${stale[0].signature}`);
      } finally {
        await t.db.query(`DROP FUNCTION IF EXISTS send_message(text)`);
      }
      expect(await staleFunctions(t.db)).toEqual([]);
      expect(await functionDrift(t.db)).toEqual([]);
    });

    it('enforces unique, lower-case, well-formed usernames in the database itself', async () => {
      await t.db.query(`INSERT INTO users (username, display_name, password_hash) VALUES ('casey', 'C', 'x')`);
      await expect(
        t.db.query(`INSERT INTO users (username, display_name, password_hash) VALUES ('casey', 'C', 'x')`),
      ).rejects.toThrow(/UQ_users_username/);
      await expect(
        t.db.query(`INSERT INTO users (username, display_name, password_hash) VALUES ('CASEY', 'C', 'x')`),
      ).rejects.toThrow(/CHK_users_username/);
      await expect(
        t.db.query(`INSERT INTO users (username, display_name, password_hash) VALUES ('bad name', 'C', 'x')`),
      ).rejects.toThrow(/CHK_users_username/);
    });

    it('serves user search from the trigram indexes', async () => {
      await t.db.query(`SET enable_seqscan = off`);
      const plan: { 'QUERY PLAN': string }[] = await t.db.query(
        `EXPLAIN SELECT id FROM users u WHERE u.username::text LIKE 'ab%' OR lower(u.display_name) LIKE 'ab%'
            OR u.username::text % 'ab' OR lower(u.display_name) % 'ab'`,
      );
      await t.db.query(`RESET enable_seqscan`);
      const text = plan.map((row) => row['QUERY PLAN']).join('\n');
      expect(text).toMatch(/IDX_users_username_trgm/);
      expect(text).toMatch(/IDX_users_display_name_trgm/);
    });
  });
});
