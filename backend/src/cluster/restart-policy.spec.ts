import { crashesAfter, FIRST_RESTART_DELAY_MS, MAX_RESTART_DELAY_MS, restartDelayMs, STABLE_AFTER_MS } from './restart-policy.js';

describe('restart policy of crashed workers', () => {
  describe('restartDelayMs', () => {
    it('doubles with each crash in a row, up to the cap, so a worker that cannot start does not spin', () => {
      const delays = [0, 1, 2, 3, 10, 20].map(restartDelayMs);
      expect(delays).toEqual([FIRST_RESTART_DELAY_MS, 2 * FIRST_RESTART_DELAY_MS, 4 * FIRST_RESTART_DELAY_MS, 8 * FIRST_RESTART_DELAY_MS, MAX_RESTART_DELAY_MS, MAX_RESTART_DELAY_MS]);
    });
  });

  describe('crashesAfter', () => {
    it('counts a crash soon after a start as one more in a row', () => {
      expect(crashesAfter(2, STABLE_AFTER_MS - 1)).toBe(3);
    });

    it('starts over after a worker that had run long enough', () => {
      expect(crashesAfter(5, STABLE_AFTER_MS)).toBe(0);
    });
  });
});
