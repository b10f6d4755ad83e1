import { message } from './message.fixtures';
import { isEmptyFailure, mergeMessages, optimisticMessage, type ShownMessage, startReadClocks, withoutExpired } from './shown-message';

const sent = (overrides: Parameters<typeof message>[0]): ShownMessage => ({ message: message(overrides), state: 'sent' });

describe('shown messages', () => {
  describe('mergeMessages', () => {
    it('replaces the optimistic copy with the server copy of the same clientId, in seq order', () => {
      const pending: ShownMessage = { message: optimisticMessage('c1', 'u1', 'Hi', { seconds: null, mode: 'afterSend' }), state: 'pending' };
      const server = message({ id: 'm2', clientId: pending.message.clientId, senderId: 'u1', seq: 2 });

      const sut = mergeMessages([pending, sent({ id: 'm1', clientId: 'k1', seq: 1 })], [server]);

      expect(sut.map((entry) => [entry.message.id, entry.state])).toEqual([
        ['m1', 'sent'],
        ['m2', 'sent'],
      ]);
    });

    it('keeps a newer edit and a deletion over an older copy that arrives late', () => {
      const edited = sent({ id: 'm1', body: 'Edited', editedAt: '2026-01-01T10:05:00.000Z' });
      const deleted = sent({ id: 'm2', clientId: 'k2', seq: 2, deleted: true, body: null });

      const sut = mergeMessages([edited, deleted], [message({ id: 'm1', body: 'Earlier edit', editedAt: '2026-01-01T10:01:00.000Z' }), message({ id: 'm2', clientId: 'k2', seq: 2, body: 'Back' })]);

      expect(sut.map((entry) => entry.message.body)).toEqual(['Edited', null]);
    });

    it('shows one message per sender and clientId: a second record of it (a replay under a new id) is left out', () => {
      const original = sent({ id: 'm1', clientId: 'k1', seq: 1 });

      const sut = mergeMessages([original], [message({ id: 'm9', clientId: 'k1', seq: 9 }), message({ id: 'm3', clientId: 'k1', senderId: 'u1', seq: 3 })]);

      expect(sut.map((entry) => entry.message.id)).toEqual(['m1', 'm3']);
    });
  });

  describe('startReadClocks', () => {
    it('starts the clock of the reader\'s unread afterRead messages, and returns the same array when none starts', () => {
      const entries = [sent({ id: 'm1', expiresInSeconds: 30, expiryMode: 'afterRead', seq: 1 })];

      const started = startReadClocks(entries, 'u1', 1, '2026-01-01T10:00:00.000Z');

      expect(started[0].message.expiresAt).toBe('2026-01-01T10:00:30.000Z');
      expect(startReadClocks(started, 'u1', 1, '2026-01-01T10:01:00.000Z')).toBe(started);
    });
  });

  describe('withoutExpired', () => {
    it('drops sent messages whose time is up, and returns the same array when none is', () => {
      const now = Date.parse('2026-01-01T10:00:30.000Z');
      const entries = [sent({ id: 'm1', expiresAt: '2026-01-01T10:00:30.000Z' }), sent({ id: 'm2', clientId: 'k2', seq: 2, expiresAt: '2026-01-01T10:00:31.000Z' })];

      expect(withoutExpired(entries, now).map((entry) => entry.message.id)).toEqual(['m2']);
      expect(withoutExpired(entries, now - 1)).toBe(entries);
    });
  });

  describe('isEmptyFailure', () => {
    it('is true only for an unsent message left with neither text nor files', () => {
      const cancelled = { state: () => 'cancelled' } as unknown as NonNullable<ShownMessage['uploads']>[number];
      const failed: ShownMessage = { message: message({ body: null }), state: 'failed', uploads: [cancelled] };

      expect(isEmptyFailure(failed)).toBe(true);
      expect(isEmptyFailure({ ...failed, message: message({ body: 'Still here' }) })).toBe(false);
      expect(isEmptyFailure({ ...failed, state: 'pending' })).toBe(false);
    });
  });
});
