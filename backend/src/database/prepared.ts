import type { Pool, PoolClient, QueryResultRow } from 'pg';
import { type EntityManager, QueryFailedError } from 'typeorm';

/**
 * A statement on a hot path (every request's session check, a send, a history page, the inbox), run as
 * a named prepared statement: PostgreSQL parses and plans it once per connection instead of on every
 * call. TypeORM cannot name a statement, so these go to the pg pool it opened, or to the connection
 * of the transaction `manager` belongs to. Each name must have one text: pg refuses a name reused for
 * another. Name the result columns (no `*`, or a whole row as jsonb): PostgreSQL refuses to run a
 * prepared statement whose result columns changed, so a column that a newer instance's migration
 * adds would otherwise break this instance's statement until it reconnects.
 */
export interface PreparedStatement {
  readonly name: string;
  readonly text: string;
}

export function prepared(name: string, text: string): PreparedStatement {
  return { name, text };
}

/** Runs `statement` with `values` and returns its rows; errors come as TypeORM's QueryFailedError. */
export async function runPrepared<T extends QueryResultRow>(manager: EntityManager, statement: PreparedStatement, values: unknown[]): Promise<T[]> {
  const query = { name: statement.name, text: statement.text, values };
  try {
    const runner = manager.queryRunner;
    if (runner) return (await ((await runner.connect()) as PoolClient).query<T>(query)).rows;
    return (await (manager.connection.driver as unknown as { master: Pool }).master.query<T>(query)).rows;
  } catch (error) {
    throw new QueryFailedError(statement.text, values, error as Error);
  }
}
