// `npm run openapi:lint`: Redocly CLI's recommended rules (redocly.yaml) on backend/openapi.json. Prints
// "Redocly lint: N errors, N warnings" and fails on any of either.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const cli = createRequire(import.meta.url).resolve('@redocly/cli/bin/cli.js');
const run = spawnSync(process.execPath, [cli, 'lint', 'iris', '--format=json'], {
  cwd: root,
  encoding: 'utf8',
  // No telemetry or update check: CI reaches no network but the package registry.
  env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', REDOCLY_SUPPRESS_NOTIFICATIONS: 'true' },
});
const start = run.stdout.indexOf('{');
if (start < 0) {
  process.stderr.write(run.stdout + run.stderr);
  throw new Error('Redocly printed no report');
}
const report = JSON.parse(run.stdout.slice(start));
for (const problem of report.problems) {
  console.log(`${problem.severity} ${problem.ruleId}: ${problem.message} (${problem.location.map((l) => l.pointer).join(', ')})`);
}
const { errors, warnings } = report.totals;
console.log(`Redocly lint: ${errors} errors, ${warnings} warnings`);
process.exit(errors + warnings === 0 ? 0 : 1);
