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
