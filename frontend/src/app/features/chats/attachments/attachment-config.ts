import { inject, Injectable } from '@angular/core';
import { Api } from '../../../../sdk/api';
import { attachmentsGetConfig } from '../../../../sdk/fn/attachments/attachments-get-config';
import type { AttachmentConfigDto } from '../../../../sdk/models/attachment-config-dto';
import { fileSize } from '../../../shared/file-size';

/** The server's upload limits, fetched once per page (again after a failure). */
@Injectable({ providedIn: 'root' })
export class AttachmentConfig {
  private readonly api = inject(Api);
  private loading: Promise<AttachmentConfigDto | null> | null = null;

  /** The limits, or null when they cannot be had: the server still checks every upload. */
  load(): Promise<AttachmentConfigDto | null> {
    this.loading ??= this.api.invoke(attachmentsGetConfig).catch(() => {
      this.loading = null;
      return null;
    });
    return this.loading;
  }
}

export interface FileCheck {
  accepted: File[];
  /** One sentence per refused file (or group of files), for the user. */
  refused: string[];
}

/** Which files may be uploaded for a message that already has `already` attachments. */
export function checkFiles(files: readonly File[], config: AttachmentConfigDto | null, already: number): FileCheck {
  const accepted: File[] = [];
  const refused: string[] = [];
  let leftOut = 0;
  for (const file of files) {
    if (file.size === 0) {
      refused.push(`“${file.name}” is empty.`);
    } else if (config && file.size > config.maxUploadBytes) {
      refused.push(`“${file.name}” is too large (${fileSize(file.size)}): files may be at most ${fileSize(config.maxUploadBytes)}.`);
    } else if (config && already + accepted.length >= config.maxAttachmentsPerMessage) {
      leftOut++;
    } else {
      accepted.push(file);
    }
  }
  if (leftOut > 0 && config) {
    const max = config.maxAttachmentsPerMessage;
    refused.push(`A message can carry at most ${max} attachments: ${leftOut === 1 ? '1 file was' : `${leftOut} files were`} left out.`);
  }
  return { accepted, refused };
}
