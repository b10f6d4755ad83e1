import type { AttachmentDto } from '../../../sdk/models/attachment-dto';
import type { MessageDto } from '../../../sdk/models/message-dto';

const KIND_ICONS = { image: '📷', video: '🎬', audio: '🎵', file: '📎', encrypted: '📎' } as const;
const KIND_LABELS = { image: 'Photo', video: 'Video', audio: 'Audio', file: 'File', encrypted: 'Encrypted file' } as const;

/** One line about a conversation's last message, as a chat list shows it. */
export function messagePreview(message: MessageDto | null): string {
  if (message === null) return 'No messages yet';
  if (message.deleted) return 'Message deleted';
  const text = message.body?.replace(/\s+/gu, ' ').trim();
  const attachments = message.attachments;
  if (attachments.length === 0) return text ?? '';
  const kinds = new Set(attachments.map((attachment) => attachment.kind));
  const icon = kinds.size === 1 ? KIND_ICONS[attachments[0].kind] : '📎';
  if (text) return `${icon} ${text}`;
  return `${icon} ${attachmentsLabel(attachments, kinds)}`;
}

function attachmentsLabel(attachments: AttachmentDto[], kinds: Set<AttachmentDto['kind']>): string {
  if (attachments.length === 1) return attachments[0].kind === 'file' ? attachments[0].name : KIND_LABELS[attachments[0].kind];
  if (kinds.size === 1) {
    const kind = attachments[0].kind;
    return kind === 'file' ? `${attachments.length} files` : `${KIND_LABELS[kind]} (${attachments.length})`;
  }
  return `${attachments.length} files`;
}
