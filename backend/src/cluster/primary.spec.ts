import { loadConfig } from '../config/app-config.js';
import { workerCount } from './primary.js';

describe('workerCount', () => {
  it('runs one worker per core on PostgreSQL when WORKERS is unset', () => {
    expect(workerCount(loadConfig({ DATABASE_URL: 'postgres://db/iris' }), 4)).toEqual({ count: 4 });
  });

  it('runs WORKERS workers when set', () => {
    expect(workerCount(loadConfig({ DATABASE_URL: 'postgres://db/iris', WORKERS: '3' }), 8)).toEqual({ count: 3 });
  });

  it('runs one on the embedded database, silently by default', () => {
    expect(workerCount(loadConfig({}), 4)).toEqual({ count: 1 });
  });

  it('runs one on the embedded database and says why when WORKERS asked for more', () => {
    const { count, warning } = workerCount(loadConfig({ DATABASE_URL: 'pglite://./data/db', WORKERS: '4' }), 4);
    expect(count).toBe(1);
    expect(warning).toMatch(/^WORKERS=4 ignored: the embedded database \(PGlite\)/);
  });
});
