// Fails when the top-level folders of backend/src import each other in a loop, and prints each loop with
// the imports that make it. Run by `npm run lint`.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const src = resolve(dirname(fileURLToPath(import.meta.url)), '../src');

// Files that wire every module together, as app.module.ts does: their imports say nothing about how
// the modules depend on each other.
const COMPOSITION_ROOTS = new Set([
  // TypeORM needs the list of every entity.
  'database/data-source.ts',
]);

/** The folder a file belongs to; files directly in src/ (main, app.module, app.setup) are the root. */
const folderOf = (file) => {
  const parts = relative(src, file).split(sep);
  return parts.length > 1 ? parts[0] : '(root)';
};

function* sourceFiles(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(path);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) yield path;
  }
}

/**
 * Relative imports that exist at run time. Type-only imports are erased by the compiler, so they cannot
 * loop module loading or Nest's injection; they are how a module names another's DTO in a signature
 * (RealtimeService's `messageCreated(members, message: MessageDto)`).
 */
function valueImports(file) {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const found = [];
  const visit = (node) => {
    let specifier;
    if (ts.isImportDeclaration(node) && !isTypeOnlyImport(node.importClause)) specifier = node.moduleSpecifier;
    else if (ts.isExportDeclaration(node) && node.moduleSpecifier && !node.isTypeOnly) specifier = node.moduleSpecifier;
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) specifier = node.arguments[0];
    if (specifier && ts.isStringLiteral(specifier) && specifier.text.startsWith('.')) {
      found.push(resolve(dirname(file), specifier.text.replace(/\.js$/, '.ts')));
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function isTypeOnlyImport(clause) {
  if (!clause) return false;
  if (clause.isTypeOnly) return true;
  const bindings = clause.namedBindings;
  return !clause.name && bindings !== undefined && ts.isNamedImports(bindings) && bindings.elements.length > 0 && bindings.elements.every((element) => element.isTypeOnly);
}

/** folder → folder it imports → the first file and import that does it. */
const graph = new Map();
for (const file of sourceFiles(src)) {
  if (COMPOSITION_ROOTS.has(relative(src, file).split(sep).join('/'))) continue;
  const from = folderOf(file);
  for (const target of valueImports(file)) {
    if (!target.startsWith(src + sep)) continue;
    const to = folderOf(target);
    if (to === from) continue;
    if (!graph.has(from)) graph.set(from, new Map());
    const edges = graph.get(from);
    if (!edges.has(to)) edges.set(to, `${relative(src, file)} → ${relative(src, target)}`);
  }
}

// Tarjan's strongly connected components: every component of more than one folder holds a loop.
const index = new Map();
const low = new Map();
const stack = [];
const onStack = new Set();
const components = [];
let counter = 0;
const connect = (folder) => {
  index.set(folder, counter);
  low.set(folder, counter++);
  stack.push(folder);
  onStack.add(folder);
  for (const next of graph.get(folder)?.keys() ?? []) {
    if (!index.has(next)) {
      connect(next);
      low.set(folder, Math.min(low.get(folder), low.get(next)));
    } else if (onStack.has(next)) {
      low.set(folder, Math.min(low.get(folder), index.get(next)));
    }
  }
  if (low.get(folder) === index.get(folder)) {
    const component = [];
    let member;
    do {
      member = stack.pop();
      onStack.delete(member);
      component.push(member);
    } while (member !== folder);
    if (component.length > 1) components.push(component.sort());
  }
};
for (const folder of [...graph.keys()].sort()) if (!index.has(folder)) connect(folder);

/** A shortest loop from `start` back to itself inside its component. */
function loopFrom(start, members) {
  const previous = new Map([[start, null]]);
  const queue = [start];
  while (queue.length > 0) {
    const folder = queue.shift();
    for (const next of [...(graph.get(folder)?.keys() ?? [])].sort()) {
      if (!members.has(next)) continue;
      if (next === start) {
        const path = [folder];
        while (previous.get(path[0])) path.unshift(previous.get(path[0]));
        return [...path, start];
      }
      if (!previous.has(next)) {
        previous.set(next, folder);
        queue.push(next);
      }
    }
  }
  return [start];
}

const loops = [];
for (const component of components) {
  const members = new Set(component);
  const seen = new Set();
  // Every folder's shortest loop, so that a component made of two loops shows both.
  for (const folder of component) {
    const loop = loopFrom(folder, members);
    const key = [...loop.slice(0, -1)].sort().join(' ');
    if (!seen.has(key)) {
      seen.add(key);
      loops.push(loop);
    }
  }
}

if (loops.length === 0) {
  console.log(`No import loop between the folders of backend/src (${graph.size} folders).`);
} else {
  for (const loop of loops) {
    console.error(`Import loop: ${loop.join(' → ')}`);
    for (let i = 0; i < loop.length - 1; i++) console.error(`  ${graph.get(loop[i]).get(loop[i + 1])}`);
  }
  process.exit(1);
}
