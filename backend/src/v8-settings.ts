// V8 settings that depend on the database the server runs on. main.ts imports this module before any
// other, so that its first statement runs before the app's modules have allocated anything.
import { setFlagsFromString } from 'node:v8';

/**
 * V8 starts the young generation at two 1 MB semi-spaces and doubles them, up to 16 MB each, whenever
 * much of it survives a minor collection: loading the app alone took them to 4 MB, a send load to
 * 16 MB (32 MB resident). Until the process knows its database they keep their first size; a server on
 * PostgreSQL then lets them grow as V8 does by default, because a larger young generation promotes less
 * to the old one and the tail at 1,000 sends/s depends on that (docs/performance.md, "The tail at
 * 1,000/s"). Set at run time because V8 did not keep this flag from Node's command line.
 */
setFlagsFromString('--semi-space-growth-factor=1');

/** V8's own default for `--semi-space-growth-factor`. */
const DEFAULT_GROWTH_FACTOR = 2;

/**
 * For the embedded database, the mode meant for a small machine (docs/performance.md, "Embedded
 * memory"):
 * - the young generation keeps the size it has when this module runs (above): two semi-spaces of 2 MB,
 *   as Node has parsed the app's modules by then (1 MB after V8 shrinks it while the server idles).
 *   Frozen later, at start-up's 4 MB, it served the same send load with 5 MB more; growing, with 30 MB more.
 * - `--liftoff-only`: PostgreSQL compiled to WebAssembly runs on V8's baseline compiler alone. By
 *   default V8 also recompiles its hot functions with the optimizing compiler on background threads;
 *   for a module of PGlite's size that compilation's scratch memory, freed but kept by the C
 *   allocator's per-thread arenas, stayed with the process for good.
 * - `--heap-growing-percent=20`: between full collections the JavaScript heap may grow by 20 %, rather
 *   than by the factor V8 derives from its collection speed, which let the old generation grow by half
 *   again under a send load before it was collected.
 * All three cost some send throughput; the bench's `embedded` scenario measures it against its target.
 */
const EMBEDDED_V8_FLAGS = ['--liftoff-only', '--heap-growing-percent=20'];

/**
 * Applies the settings for `embedded` (or not) to this process: call as soon as the configuration is
 * read, before the embedded database is opened. Only the server's process takes them, not one that
 * merely opens an embedded database (the tests, the bench's baseline), where they would slow
 * everything else it runs. V8 reads them as it compiles a module and sizes the heap, so they hold from
 * then on, for the whole process.
 */
export function useV8SettingsFor({ embedded }: { embedded: boolean }): void {
  setFlagsFromString(embedded ? EMBEDDED_V8_FLAGS.join(' ') : `--semi-space-growth-factor=${DEFAULT_GROWTH_FACTOR}`);
}
