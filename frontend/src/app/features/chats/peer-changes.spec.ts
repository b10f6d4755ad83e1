import { describe, expect, it } from 'vitest';
import type { ConversationDto } from '../../../sdk/models/conversation-dto';
import { applyPeerChange } from './peer-changes';

const bob = { id: 'u2', username: 'bob', displayName: 'Bob', avatarVersion: null };

function conversation(overrides: Partial<ConversationDto> = {}): ConversationDto {
  return {
    id: 'c1',
    peer: bob,
    readOnly: null,
    encrypted: false,
    muted: false,
    defaultExpiresInSeconds: null,
    defaultExpiryMode: 'afterSend',
    lastActivityAt: '2026-12-01T10:00:00.000Z',
    lastMessage: null,
    peerLastReadSeq: 0,
    unreadCount: 0,
    ...overrides,
  };
}

describe('applyPeerChange', () => {
  it('takes the peer’s new name and picture, leaving the username and the rest as they were', () => {
    const next = applyPeerChange(conversation(), { kind: 'profile', user: { ...bob, username: 'ignored', displayName: 'Robert', avatarVersion: 'v2' } });
    expect(next).toEqual(conversation({ peer: { ...bob, displayName: 'Robert', avatarVersion: 'v2' } }));
  });

  it('ignores changes of anyone else, and of a conversation whose peer is gone', () => {
    expect(applyPeerChange(conversation(), { kind: 'profile', user: { ...bob, id: 'u3' } })).toBeNull();
    expect(applyPeerChange(conversation(), { kind: 'relation', userId: 'u3' })).toBeNull();
    expect(applyPeerChange(conversation(), { kind: 'erased', userId: 'u3' })).toBeNull();
    expect(applyPeerChange(conversation({ peer: null }), { kind: 'erased', userId: 'u2' })).toBeNull();
  });

  it('asks the server again when the friendship or a block changed: whether one may write is its rule', () => {
    expect(applyPeerChange(conversation(), { kind: 'relation', userId: 'u2' })).toBe('reload');
  });

  it('turns the conversation read-only with no peer once their account is erased', () => {
    expect(applyPeerChange(conversation(), { kind: 'erased', userId: 'u2' })).toEqual(conversation({ peer: null, readOnly: 'peer-gone', peerLastReadSeq: null }));
  });
});
