// Builds the backend and/or the web client only when their inputs changed since their last successful
// build, so `npm start`, `npm run seed` and `npm run admin:create` do not recompile what is compiled.
//   node scripts/build-if-stale.mjs backend frontend     build what is stale
//   node scripts/build-if-stale.mjs --always backend     build regardless (`npm run build`)
//
// A build's inputs are fingerprinted by content (every file's path and SHA-256), not by modification
// time: a changed, added, deleted or renamed file changes the fingerprint, a checkout that only touches
// timestamps does not. The fingerprint is taken before the build and written next to its output only
// once the build succeeded; the stamp is removed before a build starts, so an interrupted or failed
// build always leaves the target stale.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const TARGETS = {
  backend: {
    workspace: '@iris/backend',
    inputs: ['backend/src', 'backend/package.json', 'backend/nest-cli.json', 'backend/tsconfig.json', 'backend/tsconfig.build.json'],
    output: 'backend/dist/main.js',
    // Inside the directory `nest build` empties first (deleteOutDir).
    stamp: 'backend/dist/.build-stamp',
  },
  frontend: {
    workspace: '@iris/frontend',
    inputs: ['frontend/src', 'frontend/public', 'frontend/package.json', 'frontend/angular.json', 'frontend/tsconfig.json', 'frontend/tsconfig.app.json'],
    output: 'frontend/dist/iris/browser/index.html',
    // Inside the directory `ng build` empties first, outside the one the server serves.
    stamp: 'frontend/dist/iris/.build-stamp',
  },
};
// Both builds depend on the installed packages, which the lockfile and the root manifest describe.
const SHARED_INPUTS = ['package.json', 'package-lock.json'];

/** Every file under `path` (or `path` itself), as paths relative to the repository root. */
function files(path) {
  const absolute = join(root, path);
  if (!existsSync(absolute)) return [];
  if (!statSync(absolute).isDirectory()) return [path];
  return readdirSync(absolute).flatMap((name) => files(join(path, name)));
}

function fingerprint(target) {
  const hash = createHash('sha256');
  const paths = [...target.inputs, ...SHARED_INPUTS].flatMap(files).sort();
  for (const path of paths) {
    hash.update(`${path}\0`);
    hash.update(createHash('sha256').update(readFileSync(join(root, path))).digest());
  }
  return hash.digest('hex');
}

function readStamp(target) {
  try {
    return readFileSync(join(root, target.stamp), 'utf8').trim();
  } catch {
    return null;
  }
}

const args = process.argv.slice(2);
const always = args.includes('--always');
const names = args.filter((arg) => !arg.startsWith('--'));
const unknown = names.filter((name) => !(name in TARGETS));
if (names.length === 0 || unknown.length > 0) {
  console.error(`usage: node scripts/build-if-stale.mjs [--always] ${Object.keys(TARGETS).join('|')}…`);
  process.exit(2);
}

for (const name of names) {
  const target = TARGETS[name];
  const current = fingerprint(target);
  if (!always && existsSync(join(root, target.output)) && readStamp(target) === current) {
    console.log(`${name}: up to date, not rebuilt (npm run build rebuilds everything)`);
    continue;
  }
  rmSync(join(root, target.stamp), { force: true });
  const build = spawnSync('npm', ['run', 'build', '--workspace', target.workspace], {
    cwd: root,
    stdio: 'inherit',
    shell: process.platform === 'win32',
  });
  if (build.status !== 0 || !existsSync(join(root, target.output))) {
    console.error(`${name}: the build failed`);
    process.exit(build.status || 1);
  }
  writeFileSync(join(root, target.stamp), `${current}\n`);
}
