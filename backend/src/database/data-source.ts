import { DataSource, type DataSourceOptions } from 'typeorm';
import { EmbeddedDatabase } from './embedded.js';
import { migrations } from './migrations/index.js';

// Any 64-bit constant works; every Iris instance must use the same one.
const MIGRATION_LOCK_KEY = 7_326_011_505;

/** A DataSource that also shuts down the embedded database it runs on, if any. */
export class IrisDataSource extends DataSource {
  constructor(
    options: DataSourceOptions,
    readonly embedded: EmbeddedDatabase | null,
  ) {
    super(options);
  }

  override async destroy(): Promise<void> {
    try {
      if (this.isInitialized) await super.destroy();
    } finally {
      await this.embedded?.close();
    }
  }
}

export function isEmbeddedUrl(url: string): boolean {
  return url.startsWith('pglite://');
}

/** `entities` are the app's (src/entities.ts); this folder imports no module, so the modules can import it. */
export type Entities = NonNullable<DataSourceOptions['entities']>;

export function baseOptions(url: string, entities: Entities = []): DataSourceOptions {
  return {
    type: 'postgres',
    ...(isEmbeddedUrl(url) ? { poolSize: 1 } : { url, poolSize: 10 }),
    entities,
    migrations,
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false,
    installExtensions: false,
    uuidExtension: 'pgcrypto',
    // Failed queries are logged with their parameters (password hashes, tokens); errors surface through the filter instead.
    logging: false,
  };
}

/** Opens `url` (postgres://… or pglite://PATH|memory) and, unless told not to, brings its schema up to date. */
export async function openDataSource(url: string, { migrate = true, entities = [] as Entities } = {}): Promise<IrisDataSource> {
  const embedded = isEmbeddedUrl(url) ? await EmbeddedDatabase.open(url.slice('pglite://'.length)) : null;
  const options = baseOptions(url, entities);
  const dataSource = new IrisDataSource(
    embedded ? ({ ...options, extra: embedded.pgConfig() } as DataSourceOptions) : options,
    embedded,
  );
  try {
    await dataSource.initialize();
    if (migrate) await runMigrations(dataSource);
    return dataSource;
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
}

/** Runs pending migrations; on PostgreSQL an advisory lock lets many instances boot at once. */
export async function runMigrations(dataSource: IrisDataSource): Promise<void> {
  if (dataSource.embedded) {
    await dataSource.runMigrations({ transaction: 'each' });
    return;
  }
  const lock = dataSource.createQueryRunner();
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lock.release();
  }
}
