import type { AttachmentDto } from '../../sdk/models/attachment-dto';
import type { MessageDto } from '../../sdk/models/message-dto';
import type { MessageContent } from '../core/crypto/message-content';
import { isVoiceMessageName } from './voice-message-name';

type Kind = AttachmentDto['kind'];
interface Described {
  kind: Kind;
  name: string;
  durationSeconds?: number | null;
}

const KIND_ICONS = { image: '📷', video: '🎬', audio: '🎵', file: '📎', encrypted: '📎' } as const;
const KIND_LABELS = { image: 'Photo', video: 'Video', audio: 'Audio', file: 'File', encrypted: 'Encrypted file' } as const;

/** One line about a message, as the chat list shows a conversation's last one and a desktop notification a new one. */
export function messagePreview(message: MessageDto | null): string {
  if (message === null) return 'No messages yet';
  if (message.deleted) return 'Message deleted';
  return describe(message.body, message.attachments);
}

/** The same line for a message's content (a decrypted one, or a plaintext one in the content model). */
export function contentPreview(content: MessageContent): string {
  if (content.type === 'reaction') return `Reacted ${content.key ?? ''}`.trim();
  const attachments = (content.attachments ?? []).map((attachment) => ({
    kind: kindOf(attachment.mimetype),
    name: attachment.name,
    durationSeconds: attachment.durationSeconds,
  }));
  return describe(content.body ?? null, attachments);
}

/** The kind a type stands for, as the server would decide it for a plaintext upload. */
export function kindOf(mimetype: string): Exclude<Kind, 'encrypted'> {
  if (mimetype.startsWith('image/') && mimetype !== 'image/svg+xml') return 'image';
  if (mimetype.startsWith('video/')) return 'video';
  if (mimetype.startsWith('audio/')) return 'audio';
  return 'file';
}

function describe(body: string | null, attachments: readonly Described[]): string {
  const text = body?.replace(/\s+/gu, ' ').trim();
  if (attachments.length === 0) return text ?? '';
  if (attachments.length === 1 && isVoiceMessage(attachments[0])) return `🎤 ${voiceLabel(attachments[0])}${text ? `: ${text}` : ''}`;
  const kinds = new Set(attachments.map((attachment) => attachment.kind));
  const icon = kinds.size === 1 ? KIND_ICONS[attachments[0].kind] : '📎';
  if (text) return `${icon} ${text}`;
  return `${icon} ${attachmentsLabel(attachments, kinds)}`;
}

function attachmentsLabel(attachments: readonly Described[], kinds: Set<Kind>): string {
  if (attachments.length === 1) return attachments[0].kind === 'file' ? attachments[0].name : KIND_LABELS[attachments[0].kind];
  if (kinds.size === 1) {
    const kind = attachments[0].kind;
    return kind === 'file' ? `${attachments.length} files` : `${KIND_LABELS[kind]} (${attachments.length})`;
  }
  return `${attachments.length} files`;
}

function isVoiceMessage(attachment: Described): boolean {
  return attachment.kind === 'audio' && isVoiceMessageName(attachment.name);
}

/** "Voice message (0:05)", or without the length when it is not known. */
function voiceLabel(attachment: Described): string {
  const seconds = attachment.durationSeconds;
  if (seconds == null || !Number.isFinite(seconds) || seconds <= 0) return 'Voice message';
  const whole = Math.max(1, Math.round(seconds));
  return `Voice message (${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')})`;
}
