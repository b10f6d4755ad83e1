import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBackend } from './helpers/server-process.js';

const settings = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'dist/v8-settings.js');

/**
 * The young generation's size in a fresh Node process that imports the built v8-settings.js first (as
 * main.ts does), applies it for `embedded` or not, then allocates as a busy server does: objects that
 * outlive a minor collection or two, which is what makes V8 grow it. In MB.
 */
function youngGenerationAfterLoad(embedded: boolean): number {
  const script = `
    const { useV8SettingsFor } = await import(${JSON.stringify(settings)});
    useV8SettingsFor({ embedded: ${embedded} });
    const { getHeapSpaceStatistics } = await import('node:v8');
    let kept = [];
    for (let round = 0; round < 200; round++) {
      for (let i = 0; i < 20_000; i++) kept.push({ i, text: 'message ' + i });
      if (kept.length > 100_000) kept = [];
      await new Promise((next) => setImmediate(next));
    }
    const young = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
    console.log(young.space_size / 2 ** 20);
  `;
  const child = spawnSync(process.execPath, ['--input-type=module', '--eval', script], { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(child.stderr);
  return Number(child.stdout.trim());
}

// Node's command line flag did not hold (V8 grew the young generation regardless), so the setting is
// made at run time; this proves it still takes on the Node that runs the tests.
describe('V8 settings by database (the built v8-settings.js in a process of its own)', () => {
  beforeAll(() => buildBackend(), 120_000);

  it('keeps the young generation at its first size on the embedded database', () => {
    expect(youngGenerationAfterLoad(true)).toBeLessThanOrEqual(4);
  });

  it('lets it grow as V8 does by default on PostgreSQL', () => {
    expect(youngGenerationAfterLoad(false)).toBeGreaterThanOrEqual(16);
  });
});
