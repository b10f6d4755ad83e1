import type { TrustNotice } from '../../core/crypto/trust-notices';
import { message } from './message.fixtures';
import type { ShownMessage } from './shown-message';
import { placeTrustNotices } from './trust-notice';

const shown = (clientId: string, createdAt: string): ShownMessage => ({ message: message({ id: clientId, clientId, createdAt }), state: 'sent' });
const notice = (id: string, at: string, kind: TrustNotice['kind'] = 'verified'): TrustNotice => ({ id, peerId: 'bob', kind, at });

describe('placeTrustNotices', () => {
  const messages = [shown('m1', '2026-01-05T10:00:00.000Z'), shown('m2', '2026-01-05T11:00:00.000Z')];

  it('puts each notice before the first message after it, and later ones after the last', () => {
    const placed = placeTrustNotices(messages, [notice('early', '2026-01-05T09:00:00.000Z'), notice('between', '2026-01-05T10:30:00.000Z'), notice('late', '2026-01-05T12:00:00.000Z', 'identity-changed')], false);
    expect([...placed.before.entries()].map(([clientId, notices]) => [clientId, notices.map((n) => n.id)])).toEqual([
      ['m1', ['early']],
      ['m2', ['between']],
    ]);
    expect(placed.after.map((n) => n.id)).toEqual(['late']);
  });

  it('keeps a notice from before the loaded page back until the older messages are loaded', () => {
    const placed = placeTrustNotices(messages, [notice('early', '2026-01-05T09:00:00.000Z'), notice('between', '2026-01-05T10:30:00.000Z')], true);
    expect(placed.before.get('m1')).toBeUndefined();
    expect(placed.before.get('m2')?.map((n) => n.id)).toEqual(['between']);
  });

  it('shows every notice of an empty conversation', () => {
    expect(placeTrustNotices([], [notice('a', '2026-01-05T09:00:00.000Z')], false).after.map((n) => n.id)).toEqual(['a']);
  });
});
