import { message } from './message.fixtures';
import { describeTimer, durationShort, hasExpired, nextExpiryIn, remainingLong, remainingShort, startReadClock, TIMER_CHOICES } from './expiry';

describe('expiry', () => {
  describe('TIMER_CHOICES', () => {
    it('offers off, 30 s, 5 min, 1 h, 8 h, 1 day, 1 week and 4 weeks', () => {
      expect(TIMER_CHOICES.map((choice) => choice.seconds)).toEqual([null, 30, 300, 3600, 28_800, 86_400, 604_800, 2_419_200]);
    });
  });

  describe('durationShort and describeTimer', () => {
    it('names the choices and any other duration', () => {
      expect(durationShort(300)).toBe('5 min');
      expect(durationShort(5)).toBe('5 s');
      expect(durationShort(172_800)).toBe('2 days');
      expect(describeTimer({ seconds: 3600, mode: 'afterSend' })).toBe('1 hour after sending');
      expect(describeTimer({ seconds: 30, mode: 'afterRead' })).toBe('30 seconds after reading');
      expect(describeTimer({ seconds: null, mode: 'afterRead' })).toBe('Off');
    });
  });

  describe('remainingShort and remainingLong', () => {
    it('rounds up to whole seconds and never goes below zero', () => {
      expect(remainingShort(29_001)).toBe('30 s');
      expect(remainingShort(29_000)).toBe('29 s');
      expect(remainingShort(-5)).toBe('0 s');
      expect(remainingShort(299_000)).toBe('4:59');
      expect(remainingShort(8 * 3600_000 - 60_000)).toBe('7 h 59 min');
      expect(remainingShort(7 * 86_400_000 - 3600_000)).toBe('6 d 23 h');
      expect(remainingLong(1000)).toBe('1 second');
      expect(remainingLong(90_000)).toBe('2 minutes');
    });
  });

  describe('startReadClock', () => {
    const timed = message({ senderId: 'u1', seq: 3, expiresInSeconds: 30, expiryMode: 'afterRead', expiresAt: null });

    it('starts the clock of the other member\'s afterRead messages up to the read seq', () => {
      expect(startReadClock(timed, 'u2', 3, '2026-01-01T10:00:00.000Z').expiresAt).toBe('2026-01-01T10:00:30.000Z');
    });

    it('leaves alone messages after the seq, the reader\'s own, started clocks and afterSend ones', () => {
      expect(startReadClock(timed, 'u2', 2, '2026-01-01T10:00:00.000Z')).toBe(timed);
      expect(startReadClock(timed, 'u1', 3, '2026-01-01T10:00:00.000Z')).toBe(timed);
      const started = { ...timed, expiresAt: '2026-01-01T09:59:50.000Z' };
      expect(startReadClock(started, 'u2', 3, '2026-01-01T10:00:00.000Z')).toBe(started);
      const afterSend = { ...timed, expiryMode: 'afterSend' as const };
      expect(startReadClock(afterSend, 'u2', 3, '2026-01-01T10:00:00.000Z')).toBe(afterSend);
    });
  });

  describe('hasExpired and nextExpiryIn', () => {
    it('finds what is due and how long until the next', () => {
      const now = Date.parse('2026-01-01T10:00:00.000Z');
      expect(hasExpired({ expiresAt: '2026-01-01T10:00:00.000Z' }, now)).toBe(true);
      expect(hasExpired({ expiresAt: null }, now)).toBe(false);
      expect(nextExpiryIn([null, '2026-01-01T10:00:09.000Z', '2026-01-01T09:00:00.000Z', '2026-01-01T10:00:04.000Z'], now)).toBe(4000);
      expect(nextExpiryIn([null, undefined], now)).toBeNull();
    });
  });
});
