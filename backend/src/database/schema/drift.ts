import type { DataSource } from 'typeorm';
import { type SchemaFunction, schemaFunctions } from './functions.js';

/** A schema function whose definition in the database is not the one in schema/functions.ts. */
export interface FunctionDrift {
  fn: SchemaFunction;
  /** The database's current definition (pg_get_functiondef), null when the function is missing. */
  current: string | null;
}

/**
 * Compares each schema function with the database's definition. Both sides are read back through
 * pg_get_functiondef (the source applied in a transaction that is rolled back), so only a real
 * difference counts, not PostgreSQL's own formatting.
 */
export async function functionDrift(dataSource: DataSource): Promise<FunctionDrift[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    const current = await definitions(runner);
    await runner.startTransaction();
    let wanted: (string | null)[];
    try {
      for (const fn of schemaFunctions) await runner.query(fn.sql);
      wanted = await definitions(runner);
    } finally {
      await runner.rollbackTransaction();
    }
    return schemaFunctions.map((fn, index) => ({ fn, current: current[index] })).filter((_, index) => current[index] !== wanted[index]);
  } finally {
    await runner.release();
  }
}

async function definitions(runner: { query(sql: string, params: unknown[]): Promise<{ definition: string | null }[]> }): Promise<(string | null)[]> {
  const rows = await runner.query(
    `SELECT (SELECT pg_get_functiondef(to_regprocedure(s.signature))) AS definition
       FROM unnest($1::text[]) WITH ORDINALITY AS s(signature, position) ORDER BY s.position`,
    [schemaFunctions.map((fn) => fn.signature)],
  );
  return rows.map((row) => row.definition);
}

/** A function in the database under the name of a schema function but with other arguments: an old signature. */
export interface StaleFunction {
  /** As DROP FUNCTION takes it, e.g. `send_message(uuid,integer,…)`. */
  signature: string;
  /** Its definition (pg_get_functiondef), to bring it back in a migration's down. */
  definition: string;
}

/**
 * Overloads left behind when a schema function's arguments changed: CREATE OR REPLACE makes a function
 * of the new signature beside the old one, which must be dropped, or callers could still reach it.
 */
export async function staleFunctions(dataSource: DataSource): Promise<StaleFunction[]> {
  const names = [...new Set(schemaFunctions.map((fn) => fn.signature.slice(0, fn.signature.indexOf('('))))];
  return dataSource.query(
    `SELECT p.oid::regprocedure::text AS signature, pg_get_functiondef(p.oid) AS definition
       FROM pg_proc p
      WHERE p.pronamespace = current_schema()::regnamespace AND p.proname = ANY($1::text[])
        AND p.oid <> ALL(ARRAY(SELECT to_regprocedure(s)::oid FROM unnest($2::text[]) s WHERE to_regprocedure(s) IS NOT NULL))
      ORDER BY p.oid`,
    [names, schemaFunctions.map((fn) => fn.signature)],
  );
}
