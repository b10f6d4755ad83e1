import type { AttachmentDto } from '../../../../sdk/models/attachment-dto';

/** A small text file attachment for specs; override what the spec is about. */
export function attachmentDto(id: string, overrides: Partial<AttachmentDto> = {}): AttachmentDto {
  return {
    id,
    kind: 'file',
    mimeType: 'text/plain',
    size: 10,
    name: `${id}.txt`,
    url: `/api/attachments/${id}`,
    createdAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}
