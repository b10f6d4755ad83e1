import { effect, inject, signal, type Signal } from '@angular/core';
import { AttachmentFiles, type FileVariant, type ShownAttachment } from './attachment-files';

export interface FileRequest {
  attachment: ShownAttachment;
  variant: FileVariant;
  /** False for a message with a timer: nothing of it stays in memory once it is not shown. */
  keep: boolean;
}

export interface AttachmentUrl {
  /** A `blob:` URL while the view shows the file; null while loading or after a failure. */
  url: Signal<string | null>;
  blob: Signal<Blob | null>;
  failed: Signal<boolean>;
  retry(): void;
}

/**
 * For a component: the requested file as an object URL, fetched through the shared cache, revoked
 * and released when the request changes or the component goes. Call in an injection context.
 */
export function attachmentUrl(request: () => FileRequest | null): AttachmentUrl {
  const files = inject(AttachmentFiles);
  const url = signal<string | null>(null);
  const blob = signal<Blob | null>(null);
  const failed = signal(false);
  const attempt = signal(0);
  effect((onCleanup) => {
    const wanted = request();
    attempt();
    url.set(null);
    blob.set(null);
    failed.set(false);
    if (!wanted) return;
    let shown = true;
    let held = true;
    let objectUrl: string | null = null;
    files.get(wanted.attachment, wanted.variant, { keep: wanted.keep }).then(
      (contents) => {
        if (!shown) return;
        objectUrl = URL.createObjectURL(contents);
        blob.set(contents);
        url.set(objectUrl);
      },
      () => {
        // The cache has already dropped a failed file: there is nothing to release.
        held = false;
        if (shown) failed.set(true);
      },
    );
    onCleanup(() => {
      shown = false;
      if (objectUrl) URL.revokeObjectURL(objectUrl);
      if (held) files.release(wanted.attachment.id, wanted.variant);
    });
  });
  return { url: url.asReadonly(), blob: blob.asReadonly(), failed: failed.asReadonly(), retry: () => attempt.update((n) => n + 1) };
}
