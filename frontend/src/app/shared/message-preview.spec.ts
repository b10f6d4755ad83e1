import type { AttachmentDto } from '../../sdk/models/attachment-dto';
import type { MessageDto } from '../../sdk/models/message-dto';
import { contentPreview, messagePreview } from './message-preview';

function message(overrides: Partial<MessageDto>): MessageDto {
  return {
    id: 'm1', conversationId: 'c1', senderId: 'u1', clientId: 'k1', seq: 1, body: 'Hello', attachments: [],
    createdAt: '2026-01-01T00:00:00.000Z', editedAt: null, deleted: false, expiresInSeconds: null, expiryMode: null, expiresAt: null,
    ciphertext: null, senderDeviceId: 's1', kind: 'message', relatesTo: null,
    ...overrides,
  };
}

function attachment(kind: AttachmentDto['kind'], name = 'x'): AttachmentDto {
  return { id: 'a1', kind, mimeType: 'x/y', size: 1, name, url: '/api/attachments/a1' } as AttachmentDto;
}

describe('messagePreview', () => {
  it('shows the text on one line', () => {
    expect(messagePreview(message({ body: 'Hello\n  there' }))).toBe('Hello there');
  });

  it('names attachment-only messages by kind, and a single file by its name', () => {
    expect(messagePreview(message({ body: null, attachments: [attachment('image')] }))).toBe('📷 Photo');
    expect(messagePreview(message({ body: null, attachments: [attachment('video')] }))).toBe('🎬 Video');
    expect(messagePreview(message({ body: null, attachments: [attachment('audio')] }))).toBe('🎵 Audio');
    expect(messagePreview(message({ body: null, attachments: [attachment('file', 'report.pdf')] }))).toBe('📎 report.pdf');
    expect(messagePreview(message({ body: '', attachments: [attachment('image'), attachment('image')] }))).toBe('📷 Photo (2)');
    expect(messagePreview(message({ body: null, attachments: [attachment('file'), attachment('file')] }))).toBe('📎 2 files');
    expect(messagePreview(message({ body: null, attachments: [attachment('image'), attachment('file')] }))).toBe('📎 2 files');
  });

  it('calls a recording of the voice recorder a voice message, with its length, unlike another audio file', () => {
    const voice = (durationSeconds: number | null) => ({ ...attachment('audio', 'voice-message-2026-12-06-10-20-30.webm'), durationSeconds });
    expect(messagePreview(message({ body: null, attachments: [voice(5.2)] }))).toBe('🎤 Voice message (0:05)');
    expect(messagePreview(message({ body: null, attachments: [voice(75)] }))).toBe('🎤 Voice message (1:15)');
    expect(messagePreview(message({ body: null, attachments: [voice(null)] }))).toBe('🎤 Voice message');
    expect(messagePreview(message({ body: null, attachments: [{ ...attachment('audio', 'song.webm'), durationSeconds: 5 }] }))).toBe('🎵 Audio');
    expect(messagePreview(message({ body: null, attachments: [attachment('file', 'voice-message-2026-12-06-10-20-30.webm')] }))).toBe(
      '📎 voice-message-2026-12-06-10-20-30.webm',
    );
  });

  it('reads a decrypted voice message the same way', () => {
    const content = {
      type: 'text' as const,
      attachments: [{ id: 'a1', mimetype: 'audio/webm', name: 'voice-message-2026-12-06-10-20-30.m4a', size: 10, durationSeconds: 4.6, key: {} as never, iv: '', hashes: { sha256: '' }, v: 'v2' as const }],
    };
    expect(contentPreview(content as never)).toBe('🎤 Voice message (0:05)');
  });

  it('puts the kind before the text of a message with attachments', () => {
    expect(messagePreview(message({ body: 'Look at this', attachments: [attachment('image')] }))).toBe('📷 Look at this');
  });

  it('shows deleted messages and empty conversations in words', () => {
    expect(messagePreview(message({ deleted: true, body: null }))).toBe('Message deleted');
    expect(messagePreview(null)).toBe('No messages yet');
  });
});
