/** The first restart of a crashed worker waits this long; each crash soon after a start doubles it. */
export const FIRST_RESTART_DELAY_MS = 500;
export const MAX_RESTART_DELAY_MS = 30_000;
/** A worker that ran this long before it crashed counts as healthy: its restart starts the backoff over. */
export const STABLE_AFTER_MS = 60_000;

/**
 * How long to wait before starting a crashed worker again, given how many times in a row it has now
 * crashed soon after starting (0 when it had run long enough), so that a worker that cannot start
 * does not spin.
 */
export function restartDelayMs(crashesInARow: number): number {
  return Math.min(MAX_RESTART_DELAY_MS, FIRST_RESTART_DELAY_MS * 2 ** crashesInARow);
}

/** The count of crashes in a row after one more crash of a worker that ran for `ranForMs`. */
export function crashesAfter(crashesInARow: number, ranForMs: number): number {
  return ranForMs >= STABLE_AFTER_MS ? 0 : crashesInARow + 1;
}
