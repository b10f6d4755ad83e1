import type { MessageDto } from '../../../sdk/models/message-dto';

/** A message from bob (u2) in conversation c1 for specs; override what the spec is about. */
export function message(overrides: Partial<MessageDto>): MessageDto {
  return {
    id: 'm1',
    clientId: 'k1',
    conversationId: 'c1',
    senderId: 'u2',
    body: 'Hi',
    ciphertext: null,
    senderDeviceId: 's2',
    kind: 'message',
    relatesTo: null,
    attachments: [],
    createdAt: '2026-01-01T10:00:00.000Z',
    deleted: false,
    editedAt: null,
    expiresAt: null,
    expiresInSeconds: null,
    expiryMode: null,
    seq: 1,
    ...overrides,
  };
}
