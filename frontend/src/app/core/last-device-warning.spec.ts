import type { SessionDto } from '../../sdk/models/session-dto';
import { historyAtRisk } from './last-device-warning';

const session = (id: string, e2ee: boolean, current = false): SessionDto => ({
  id,
  current,
  deviceName: 'Firefox on Linux',
  ip: null,
  createdAt: '2026-01-05T10:00:00.000Z',
  lastActiveAt: '2026-01-05T10:00:00.000Z',
  e2ee: e2ee ? { deviceId: id, verified: true } : null,
});

describe('historyAtRisk', () => {
  it('is true when the last device with keys goes and nothing is backed up', () => {
    expect(historyAtRisk([session('me', true, true), session('old', false)], ['me'], false)).toBe(true);
  });

  it('is false when another device keeps the keys', () => {
    expect(historyAtRisk([session('me', true, true), session('laptop', true)], ['me'], false)).toBe(false);
  });

  it('is false with a key backup', () => {
    expect(historyAtRisk([session('me', true, true)], ['me'], true)).toBe(false);
  });

  it('is false when what goes has no keys', () => {
    expect(historyAtRisk([session('me', false, true), session('web', false)], ['web'], false)).toBe(false);
  });
});
