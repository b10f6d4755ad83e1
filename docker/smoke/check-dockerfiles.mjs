// What `docker build` would find out first, checked without an engine: every file or directory that
// docker/*.Dockerfile copies from the build context (the repository root) exists and is not excluded
// by .dockerignore, and everything the builds must not see (node_modules, dist, .env, .git) is.
// Prints one line per problem; exits 1 if there is any.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dockerfiles = readdirSync(join(root, 'docker'))
  .filter((name) => name.endsWith('.Dockerfile'))
  .map((name) => `docker/${name}`);

/** .dockerignore's rules as [negated, RegExp], in order (Go filepath.Match syntax plus `**`). */
function ignoreRules() {
  return readFileSync(join(root, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const negated = line.startsWith('!');
      const pattern = (negated ? line.slice(1) : line).replace(/^\/+|\/+$/g, '');
      let source = '';
      for (let i = 0; i < pattern.length; i += 1) {
        const c = pattern[i];
        if (c === '*' && pattern[i + 1] === '*') {
          source += pattern[i + 2] === '/' ? '(?:.*/)?' : '.*';
          i += pattern[i + 2] === '/' ? 2 : 1;
        } else if (c === '*') source += '[^/]*';
        else if (c === '?') source += '[^/]';
        else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
      }
      // A pattern that names a directory excludes everything under it too.
      return [negated, new RegExp(`^${source}(?:/.*)?$`)];
    });
}

const rules = ignoreRules();
function ignored(path) {
  let result = false;
  for (const [negated, regexp] of rules) if (regexp.test(path)) result = !negated;
  return result;
}

const problems = [];
for (const file of dockerfiles) {
  const text = readFileSync(join(root, file), 'utf8').replace(/\\\n/g, ' ');
  for (const line of text.split('\n')) {
    const match = line.match(/^\s*(COPY|ADD)\s+(.*)$/i);
    if (!match) continue;
    const words = match[2].trim().split(/\s+/);
    if (words.some((word) => word.startsWith('--from='))) continue;
    const sources = words.filter((word) => !word.startsWith('--')).slice(0, -1);
    for (const source of sources) {
      const path = source.replace(/^\.\//, '').replace(/\/$/, '');
      if (!existsSync(join(root, path))) problems.push(`${file}: COPY ${source}: no such file in the repository`);
      else if (ignored(path)) problems.push(`${file}: COPY ${source}: excluded by .dockerignore`);
    }
  }
}
for (const path of ['node_modules', 'backend/node_modules', 'backend/dist', 'frontend/dist', 'frontend/node_modules', '.env', '.git', 'data']) {
  if (!ignored(path)) problems.push(`.dockerignore lets ${path} into the build context`);
}
for (const path of ['.env.example', 'package.json', 'backend/src/main.ts', 'frontend/src/main.ts', 'docker/nginx.conf']) {
  if (ignored(path)) problems.push(`.dockerignore excludes ${path}, which a build needs`);
}

for (const problem of problems) console.log(problem);
console.log(`${dockerfiles.length} Dockerfiles: ${problems.length === 0 ? 'every COPY source is in the build context' : `${problems.length} problems`}`);
process.exit(problems.length === 0 ? 0 : 1);
