// Copies the Matrix crypto library's wasm into .wasm/, which angular.json serves as
// /crypto/matrix_sdk_crypto_wasm_bg.wasm. npm may install the package in the root node_modules or in
// frontend/node_modules, and Angular copies assets only from inside the workspace, hence this step.
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const NAME = 'matrix_sdk_crypto_wasm_bg.wasm';
const entry = fileURLToPath(import.meta.resolve('@matrix-org/matrix-sdk-crypto-wasm'));
const source = join(dirname(entry), 'pkg', NAME);
const targetDir = join(dirname(fileURLToPath(import.meta.url)), '..', '.wasm');
const target = join(targetDir, NAME);

// An unchanged copy is left alone, so the build's fingerprint of its inputs stays the same.
if (!existsSync(target) || !readFileSync(target).equals(readFileSync(source))) {
  mkdirSync(targetDir, { recursive: true });
  copyFileSync(source, target);
}
