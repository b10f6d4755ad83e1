import { IDBFactory } from 'fake-indexeddb';
import { OutboxDb, type OutboxEntry } from './outbox-db';

const entry = (clientId: string, queuedAt: number): OutboxEntry => ({
  clientId,
  conversationId: 'c1',
  senderId: 'u1',
  queuedAt,
  createdAt: '2026-01-01T10:00:00.000Z',
  body: null,
  ciphertext: { algorithm: 'm.megolm.v1.aes-sha2', ciphertext: 'AwgA', session_id: 's', sender_key: 'k', device_id: 'D' } as unknown as OutboxEntry['ciphertext'],
  attachmentIds: [],
  expiresInSeconds: null,
  expiryMode: null,
  kind: 'message',
  relatesTo: null,
  refusal: null,
});

describe('OutboxDb', () => {
  it('keeps entries across a reopen (a reload), oldest first, each user apart, and deleting a user drops theirs', async () => {
    const idb = new IDBFactory();
    const first = await OutboxDb.open('u1', idb);
    await first.put(entry('k2', 2));
    await first.put(entry('k1', 1));
    await first.put({ ...entry('k3', 3), refusal: { code: 'BLOCKED', reason: 'Blocked' } });
    await first.delete('k2');
    first.close();

    const reopened = await OutboxDb.open('u1', idb);
    expect((await reopened.all()).map((stored) => [stored.clientId, stored.refusal?.code ?? null])).toEqual([
      ['k1', null],
      ['k3', 'BLOCKED'],
    ]);
    expect(await (await OutboxDb.open('u2', idb)).all()).toEqual([]);
    reopened.close();

    await OutboxDb.delete('u1', idb);
    expect(await (await OutboxDb.open('u1', idb)).all()).toEqual([]);
  });
});
