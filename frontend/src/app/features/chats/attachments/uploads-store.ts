import { HttpClient, HttpContext } from '@angular/common/http';
import { computed, DestroyRef, inject, Injectable, signal } from '@angular/core';
import { defer, map, type Observable, of, type Subscription, switchMap, tap } from 'rxjs';
import { Api } from '../../../../sdk/api';
import { attachmentsUpload } from '../../../../sdk/fn/attachments/attachments-upload';
import { attachmentsUploadEncrypted } from '../../../../sdk/fn/attachments/attachments-upload-encrypted';
import type { AttachmentDto } from '../../../../sdk/models/attachment-dto';
import { describeError } from '../../../core/api-errors';
import { prepareEncryptedUpload } from '../../../core/crypto/encrypted-upload';
import type { EncryptedAttachmentInfo } from '../../../core/crypto/message-content';
import { UPLOAD_PROGRESS } from '../../../core/upload-progress';
import { Toasts } from '../../../shared/toasts';
import { AttachmentConfig, checkFiles } from './attachment-config';
import { ATTACHMENT_CIPHER } from './attachment-files';

export type UploadState = 'queued' | 'uploading' | 'done' | 'failed' | 'cancelled';
export type AttachmentKind = AttachmentDto['kind'];

/** Files uploaded at the same time; the others wait their turn. */
const PARALLEL_UPLOADS = 2;

/**
 * The server's record of an upload; in an encrypted conversation, of the encrypted file's blob, with
 * `info` for the message: the blob ids (the file's and its thumbnail's), key, hashes and what the file
 * really is.
 */
export type UploadedAttachment = AttachmentDto & { info?: EncryptedAttachmentInfo };

type Transport = (upload: Upload) => Observable<UploadedAttachment>;
let uploadCount = 0;

/** The kind the browser's type suggests, until the server decides from the bytes. */
export function guessKind(type: string): AttachmentKind {
  if (type.startsWith('image/')) return 'image';
  if (type.startsWith('video/')) return 'video';
  if (type.startsWith('audio/')) return 'audio';
  return 'file';
}

/** One file on its way to the server: shown in the composer, then in its message until that is sent. */
export class Upload {
  /** Identifies the upload in lists. */
  readonly key = `upload-${++uploadCount}`;
  readonly name: string;
  readonly size: number;
  readonly kind: AttachmentKind;
  private readonly stateValue = signal<UploadState>('queued');
  private readonly fraction = signal(0);
  private readonly attachmentValue = signal<UploadedAttachment | null>(null);
  private readonly errorValue = signal<string | null>(null);
  private subscription: Subscription | null = null;
  private outcome!: Promise<UploadedAttachment | null>;
  private settle!: { resolve: (value: UploadedAttachment | null) => void; reject: (error: unknown) => void };

  readonly state = this.stateValue.asReadonly();
  /** 0–100, for a progress bar. */
  readonly percent = computed(() => Math.round(this.fraction() * 100));
  /** Every byte is out and the server is still at work (e.g. making an image's thumbnail). */
  readonly processing = computed(() => this.stateValue() === 'uploading' && this.fraction() >= 1);
  readonly attachment = this.attachmentValue.asReadonly();
  readonly error = this.errorValue.asReadonly();
  readonly active = computed(() => this.stateValue() === 'queued' || this.stateValue() === 'uploading');

  constructor(
    readonly file: File,
    private readonly queue: UploadQueue,
  ) {
    this.name = file.name || 'file';
    this.size = file.size;
    this.kind = guessKind(file.type);
    this.enqueue();
  }

  /** The attachment once uploaded, null if cancelled; rejects when the upload fails. */
  result(): Promise<UploadedAttachment | null> {
    return this.outcome;
  }

  /** Stops the upload (or its wait for a turn), or gives up a failed one. A finished upload stays as it is. */
  cancel(): void {
    if (this.active()) {
      this.queue.remove(this);
      this.subscription?.unsubscribe();
      this.subscription = null;
      this.settle.resolve(null);
    } else if (this.stateValue() === 'failed') {
      this.outcome = Promise.resolve(null);
    } else {
      return;
    }
    this.stateValue.set('cancelled');
  }

  /** Uploads a failed file again. */
  retry(): void {
    if (this.stateValue() === 'failed') this.enqueue();
  }

  /** Called by the queue when it is this upload's turn. */
  begin(transport: Transport, finished: () => void): void {
    this.stateValue.set('uploading');
    this.subscription = transport(this).subscribe({
      next: (attachment) => {
        this.fraction.set(1);
        this.attachmentValue.set(attachment);
        this.stateValue.set('done');
        this.settle.resolve(attachment);
      },
      error: (error: unknown) => {
        this.errorValue.set(describeError(error));
        this.stateValue.set('failed');
        this.settle.reject(error);
        finished();
      },
      complete: finished,
    });
  }

  /** Progress of the request body (which is a little larger than the file). */
  report(loaded: number, total: number | null): void {
    const whole = total && total > 0 ? total : this.size;
    this.fraction.set(whole > 0 ? Math.min(1, loaded / whole) : 0);
  }

  private enqueue(): void {
    this.outcome = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    // Nobody may be waiting (a file in the composer): a failure is shown, not an unhandled rejection.
    this.outcome.catch(() => undefined);
    this.fraction.set(0);
    this.errorValue.set(null);
    this.stateValue.set('queued');
    this.queue.add(this);
  }
}

/** Starts queued uploads, a few at a time. */
export class UploadQueue {
  private readonly waiting: Upload[] = [];
  private readonly running = new Set<Upload>();

  constructor(private readonly transport: Transport) {}

  add(upload: Upload): void {
    this.waiting.push(upload);
    this.pump();
  }

  /** The upload left the queue or stopped running (done, failed or cancelled): its turn passes on. */
  remove(upload: Upload): void {
    const index = this.waiting.indexOf(upload);
    if (index >= 0) this.waiting.splice(index, 1);
    if (this.running.delete(upload)) this.pump();
  }

  private pump(): void {
    while (this.running.size < PARALLEL_UPLOADS && this.waiting.length > 0) {
      const upload = this.waiting.shift()!;
      this.running.add(upload);
      upload.begin(this.transport, () => this.remove(upload));
    }
  }
}

/**
 * The attachments of a message's uploads once every one is done (failed ones are tried again);
 * cancelled ones are left out. Rejects when an upload fails.
 */
export async function uploadedAttachments(uploads: readonly Upload[]): Promise<UploadedAttachment[]> {
  for (const upload of uploads) upload.retry();
  const results = await Promise.all(uploads.map((upload) => upload.result()));
  return results.filter((attachment): attachment is UploadedAttachment => attachment !== null);
}

/**
 * The files picked for the next message (the composer's tray): checked against the server's limits,
 * uploaded at once with their progress, cancelled when removed. `take()` hands them to a message.
 */
@Injectable()
export class UploadsStore {
  private readonly api = inject(Api);
  private readonly http = inject(HttpClient);
  private readonly config = inject(AttachmentConfig);
  private readonly cipher = inject(ATTACHMENT_CIPHER);
  private readonly toasts = inject(Toasts);
  private encrypted: () => boolean = () => false;
  private readonly queue = new UploadQueue((upload) => this.transport(upload));
  private readonly trayValue = signal<readonly Upload[]>([]);
  private readonly noticesValue = signal<readonly string[]>([]);

  readonly tray = this.trayValue.asReadonly();
  /** Why files were refused, in words. */
  readonly notices = this.noticesValue.asReadonly();
  readonly empty = computed(() => this.trayValue().length === 0);

  constructor() {
    // Files never handed to a message have nowhere to go once the conversation closes.
    inject(DestroyRef).onDestroy(() => this.clear());
  }

  /** Whether the conversation is encrypted: its files are then stripped, encrypted and uploaded as opaque blobs. */
  setEncrypted(encrypted: () => boolean): void {
    this.encrypted = encrypted;
  }

  /** Checks the files against the limits and starts uploading the ones that pass. */
  async add(files: readonly File[]): Promise<void> {
    if (files.length === 0) return;
    const loaded = await this.config.load();
    // An encrypted file is two blobs (the file and its thumbnail), and a message lists every blob.
    const config = loaded && this.encrypted() ? { ...loaded, maxAttachmentsPerMessage: Math.max(1, Math.floor(loaded.maxAttachmentsPerMessage / 2)) } : loaded;
    const { accepted, refused } = checkFiles(files, config, this.trayValue().length);
    this.noticesValue.set(refused);
    if (accepted.length === 0) return;
    this.trayValue.update((tray) => [...tray, ...accepted.map((file) => new Upload(file, this.queue))]);
  }

  /** Takes a file out of the tray, cancelling its upload. */
  remove(upload: Upload): void {
    upload.cancel();
    this.trayValue.update((tray) => tray.filter((item) => item !== upload));
  }

  dismissNotices(): void {
    this.noticesValue.set([]);
  }

  /** Empties the tray for a message, which waits for the uploads itself. */
  take(): Upload[] {
    const uploads = [...this.trayValue()];
    this.trayValue.set([]);
    this.noticesValue.set([]);
    return uploads;
  }

  /** Empties the tray, cancelling what is still uploading (another conversation was opened). */
  clear(): void {
    for (const upload of this.trayValue()) upload.cancel();
    this.trayValue.set([]);
    this.noticesValue.set([]);
  }

  /** The generated SDK function as an Observable, so unsubscribing cancels; the context carries progress. */
  private transport(upload: Upload): Observable<UploadedAttachment> {
    const context = new HttpContext().set(UPLOAD_PROGRESS, (loaded, total) => upload.report(loaded, total));
    if (!this.encrypted()) {
      return attachmentsUpload(this.http, this.api.rootUrl, { body: { file: upload.file } }, context).pipe(map((response) => response.body));
    }
    // Metadata removed, thumbnail made and both encrypted before anything leaves; the file's blob
    // reports the progress (the thumbnail's is small and goes first).
    const blob = (file: Blob, withProgress: boolean) =>
      attachmentsUploadEncrypted(this.http, this.api.rootUrl, { body: { file } }, withProgress ? context : undefined).pipe(map((response) => response.body));
    return defer(() => prepareEncryptedUpload(upload.file, this.cipher)).pipe(
      tap((prepared) => {
        // Only the peer can read it, but they get it as it is: say so rather than send it silently.
        if (prepared.metadata === 'kept') this.toasts.info(`${upload.file.name}: this browser could not remove its metadata (such as a location); it is sent as it is.`);
      }),
      switchMap((prepared) =>
        (prepared.thumbnail ? blob(prepared.thumbnail.blob, false) : of<AttachmentDto | null>(null)).pipe(
          switchMap((thumbnail) =>
            blob(prepared.blob, true).pipe(
              map((uploaded) => {
                const info: EncryptedAttachmentInfo = { ...prepared.info, id: uploaded.id };
                if (thumbnail && prepared.thumbnail) info.thumbnail = { ...prepared.thumbnail.info, id: thumbnail.id };
                return { ...uploaded, info };
              }),
            ),
          ),
        ),
      ),
    );
  }
}
