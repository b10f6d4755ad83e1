import type { MessageDto } from '../../../sdk/models/message-dto';

const ATTACHMENT_LABELS = { image: '📎 Photo', video: '📎 Video', audio: '📎 Audio', file: '📎 File' } as const;

/** One line about a conversation's last message, as a chat list shows it. */
export function messagePreview(message: MessageDto | null): string {
  if (message === null) return 'No messages yet';
  if (message.deleted) return 'Message deleted';
  const text = message.body?.replace(/\s+/gu, ' ').trim();
  if (text) return text;
  const kinds = new Set(message.attachments.map((attachment) => attachment.kind));
  if (kinds.size === 1) {
    const label = ATTACHMENT_LABELS[[...kinds][0]];
    return message.attachments.length > 1 ? `${label} (${message.attachments.length})` : label;
  }
  return message.attachments.length > 0 ? `📎 ${message.attachments.length} files` : '';
}
