import { message } from '../message.fixtures';
import type { OutboxEntry } from './outbox-db';
import { withUnsent } from './unsent';

const queued = (clientId: string, body: string, createdAt: string): OutboxEntry => ({
  clientId,
  conversationId: 'c1',
  senderId: 'u1',
  body,
  ciphertext: null,
  kind: 'message',
  relatesTo: null,
  attachmentIds: [],
  createdAt,
  expiresInSeconds: null,
  expiryMode: null,
  refusal: null,
  queuedAt: 1,
});

describe('withUnsent', () => {
  const sent = [{ message: message({ id: 'm1', clientId: 'k1', body: 'Hi', seq: 1 }), state: 'sent' as const }];

  it('shows the server copies first, then what is on its way in the order it was written', () => {
    const held = [{ message: message({ id: 'local-k3', clientId: 'k3', body: 'Third', createdAt: '2026-01-01T10:03:00.000Z' }), state: 'pending' as const }];
    const shown = withUnsent(sent, held, [queued('k2', 'Second', '2026-01-01T10:02:00.000Z')]);
    expect(shown.map((entry) => entry.message.body)).toEqual(['Hi', 'Second', 'Third']);
  });

  it('never shows a message twice: not one the server has, not one both held and in the outbox', () => {
    // The outbox has taken k2 and is writing it to IndexedDB; the held copy goes only once that is done.
    const held = [{ message: message({ id: 'local-k2', clientId: 'k2', body: 'Are you there?', createdAt: '2026-01-01T10:02:00.000Z' }), state: 'pending' as const }];
    const shown = withUnsent(sent, held, [queued('k1', 'Hi', '2026-01-01T10:00:00.000Z'), queued('k2', 'Are you there?', '2026-01-01T10:02:00.000Z')]);
    expect(shown.map((entry) => entry.message.clientId)).toEqual(['k1', 'k2']);
    expect(shown[1]).toBe(held[0]);
  });
});
