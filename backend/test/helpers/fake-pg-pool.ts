import { jest } from '@jest/globals';

export interface PreparedQuery {
  name: string;
  text: string;
  values: unknown[];
}

/**
 * The pg pool behind a DataSource's manager, for unit tests of code that runs prepared statements
 * (database/prepared.ts): `query` answers `{ rows }`; `manager` goes where the DataSource's goes, and
 * `queryRunner` on a transaction's fake manager hands out a connection that answers with the same `query`.
 */
export function fakePgPool() {
  const query = jest.fn<(config: PreparedQuery) => Promise<{ rows: unknown[] }>>(async () => ({ rows: [] }));
  return {
    query,
    manager: { queryRunner: undefined, connection: { driver: { master: { query } } } },
    queryRunner: { connect: async () => ({ query }) },
  };
}
