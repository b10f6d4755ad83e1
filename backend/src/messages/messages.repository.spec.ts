import type { MessageRow } from './dto/message.dto.js';
import { ownCommitAsCreated, type SendOutcomeRow, type SendParams } from './messages.repository.js';

describe('ownCommitAsCreated', () => {
  const now = new Date('2026-12-07T10:00:00.123Z');
  const params: SendParams = ['session-1', 0, 'conversation-1', 'alice', 'client-1', 'hi', null, 'message', null, now, false, null, null];
  const row = (outcome: SendOutcomeRow['outcome'], message: Partial<MessageRow>): SendOutcomeRow => ({
    outcome,
    peer_id: 'bob',
    message: { sender_device_id: 'session-1', created_at: '2026-12-07T10:00:00.123+00:00', ...message } as MessageRow,
  });

  it('takes a replay of the row this send wrote (its device, its time) for a creation to announce', () => {
    expect(ownCommitAsCreated(row('replayed', {}), params).outcome).toBe('created');
  });

  it("leaves the client's own retry (another time, or another device) a replay", () => {
    expect(ownCommitAsCreated(row('replayed', { created_at: '2026-12-07T09:59:58.000+00:00' }), params).outcome).toBe('replayed');
    expect(ownCommitAsCreated(row('replayed', { sender_device_id: 'session-2' }), params).outcome).toBe('replayed');
  });

  it('changes no other outcome', () => {
    expect(ownCommitAsCreated(row('created', {}), params).outcome).toBe('created');
    expect(ownCommitAsCreated({ outcome: 'BLOCKED', peer_id: 'bob', message: null }, params).outcome).toBe('BLOCKED');
  });
});
