// `npm run sdk`, first step: ng-openapi-gen on backend/openapi.json with the socket-only schemas put back
// among the models. The document keeps them under `x-socket-io.schemas` (no route returns them, so in
// `components` they would be unused components), but the web client needs their types all the same.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const frontend = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const document = JSON.parse(readFileSync(resolve(frontend, '../backend/openapi.json'), 'utf8'));
const socket = document['x-socket-io'];
if (!socket?.schemas) throw new Error('backend/openapi.json has no x-socket-io.schemas');
delete document['x-socket-io'];
const text = JSON.stringify(document).replaceAll('"#/x-socket-io/schemas/', '"#/components/schemas/');
const merged = JSON.parse(text);
const schemas = JSON.parse(JSON.stringify(socket.schemas).replaceAll('"#/x-socket-io/schemas/', '"#/components/schemas/'));
for (const name of Object.keys(schemas)) {
  if (merged.components.schemas[name]) throw new Error(`${name} is both a component and a socket-only schema`);
}
Object.assign(merged.components.schemas, schemas);
// The document's server is `/`, and ng-openapi-gen would make that the root URL: `//api/…` is another host.
delete merged.servers;

const dir = mkdtempSync(join(tmpdir(), 'iris-sdk-'));
try {
  const input = join(dir, 'openapi.json');
  writeFileSync(input, JSON.stringify(merged));
  const bin = createRequire(import.meta.url).resolve('ng-openapi-gen/lib/index.js');
  execFileSync(process.execPath, [bin, '--config', 'ng-openapi-gen.json', '--input', input], { cwd: frontend, stdio: 'inherit' });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
