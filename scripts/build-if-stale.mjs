// Builds the backend and/or the web client only when their inputs changed since their last successful
// build, so `npm start`, `npm run seed` and `npm run admin:create` do not recompile what is compiled.
//   node scripts/build-if-stale.mjs backend frontend     build what is stale
//   node scripts/build-if-stale.mjs --always backend     build regardless (`npm run build`)
//
// A build's inputs are fingerprinted by content (every file's path and SHA-256), not by modification
// time: a changed, added, deleted or renamed file changes the fingerprint, a checkout that only touches
// timestamps does not. The fingerprint is taken before the build and written next to its output only
// once the build succeeded; the stamp is removed before a build starts, so an interrupted or failed
// build always leaves the target stale. The stamp also keeps every input's size and modification
// time: when none of them moved, the contents are not read again, which keeps a start quick.
// scripts/start.mjs imports ensureBuilt() so that `npm start` checks and serves in one process.
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

function inputPaths(target) {
  return [...target.inputs, ...SHARED_INPUTS].flatMap(files).sort();
}

/** Path, size and modification time of every input: cheap to take, and moved by any write. */
function statSignature(paths) {
  const hash = createHash('sha256');
  for (const path of paths) {
    const { size, mtimeMs } = statSync(join(root, path));
    hash.update(`${path}\0${size}\0${mtimeMs}\0`);
  }
  return hash.digest('hex');
}

function fingerprint(paths) {
  const hash = createHash('sha256');
  for (const path of paths) {
    hash.update(`${path}\0`);
    hash.update(createHash('sha256').update(readFileSync(join(root, path))).digest());
  }
  return hash.digest('hex');
}

/** The stamp's two lines: the content fingerprint, then the stat signature it was taken with. */
function readStamp(target) {
  try {
    const [content, stats] = readFileSync(join(root, target.stamp), 'utf8').split('\n');
    return { content, stats };
  } catch {
    return null;
  }
}

function writeStamp(target, content, stats) {
  writeFileSync(join(root, target.stamp), `${content}\n${stats}\n`);
}

/** Builds each named target whose inputs changed since its last successful build (all of them with `always`). */
export function ensureBuilt(names, { always = false } = {}) {
  for (const name of names) {
    const target = TARGETS[name];
    const paths = inputPaths(target);
    const stats = statSignature(paths);
    const stamp = existsSync(join(root, target.output)) ? readStamp(target) : null;
    if (!always && stamp && stamp.stats === stats) {
      console.log(`${name}: up to date, not rebuilt (npm run build rebuilds everything)`);
      continue;
    }
    const current = fingerprint(paths);
    if (!always && stamp && stamp.content === current) {
      writeStamp(target, current, stats);
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
    writeStamp(target, current, stats);
  }
}


if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const names = args.filter((arg) => !arg.startsWith('--'));
  const unknown = names.filter((name) => !(name in TARGETS));
  if (names.length === 0 || unknown.length > 0) {
    console.error(`usage: node scripts/build-if-stale.mjs [--always] ${Object.keys(TARGETS).join('|')}…`);
    process.exit(2);
  }
  ensureBuilt(names, { always: args.includes('--always') });
}
