import { AttachmentIntegrityError, decryptFile, encryptFile, type EncryptedFileResult } from './attachment-crypto';
import type { EncryptedFile } from './message-content';

export type AttachmentCryptoRequest =
  | { id: number; op: 'encrypt'; bytes: ArrayBuffer }
  | { id: number; op: 'decrypt'; bytes: ArrayBuffer; info: EncryptedFile };

export type AttachmentCryptoReply =
  | { id: number; ok: true; bytes: ArrayBuffer; info?: EncryptedFile }
  | { id: number; ok: false; integrity: boolean; message: string };

interface Pending {
  resolve(reply: AttachmentCryptoReply & { ok: true }): void;
  reject(error: Error): void;
}

/**
 * Encrypts and decrypts attachments in a Web Worker, so a 50 MB video does not freeze the page; where
 * workers are unavailable (tests, or a worker that failed to start) the same functions run here.
 * The buffers handed in are transferred to the worker: callers must not use them afterwards.
 */
export class AttachmentCipher {
  private worker: Worker | null | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(private readonly createWorker: () => Worker | null = defaultWorker) {}

  async encrypt(plaintext: ArrayBuffer): Promise<EncryptedFileResult> {
    const worker = this.started();
    if (!worker) return encryptFile(plaintext);
    const reply = await this.call(worker, { id: this.nextId++, op: 'encrypt', bytes: plaintext });
    return { ciphertext: new Uint8Array(reply.bytes), info: reply.info! };
  }

  async decrypt(ciphertext: ArrayBuffer, info: EncryptedFile): Promise<Uint8Array<ArrayBuffer>> {
    const worker = this.started();
    if (!worker) return decryptFile(ciphertext, info);
    const reply = await this.call(worker, { id: this.nextId++, op: 'decrypt', bytes: ciphertext, info });
    return new Uint8Array(reply.bytes);
  }

  dispose(): void {
    this.worker?.terminate();
    this.worker = null;
    for (const pending of this.pending.values()) pending.reject(new Error('Attachment crypto stopped'));
    this.pending.clear();
  }

  private started(): Worker | null {
    if (this.worker === undefined) {
      try {
        this.worker = this.createWorker();
      } catch {
        this.worker = null;
      }
      this.worker?.addEventListener('message', (event: MessageEvent<AttachmentCryptoReply>) => this.settle(event.data));
      this.worker?.addEventListener('error', () => this.failAll(new Error('Attachment crypto worker failed')));
    }
    return this.worker;
  }

  private call(worker: Worker, request: AttachmentCryptoRequest): Promise<AttachmentCryptoReply & { ok: true }> {
    return new Promise((resolve, reject) => {
      this.pending.set(request.id, { resolve, reject });
      worker.postMessage(request, [request.bytes]);
    });
  }

  private settle(reply: AttachmentCryptoReply): void {
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    this.pending.delete(reply.id);
    if (reply.ok) pending.resolve(reply);
    else pending.reject(reply.integrity ? new AttachmentIntegrityError() : new Error(reply.message));
  }

  private failAll(error: Error): void {
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }
}

function defaultWorker(): Worker | null {
  if (typeof Worker === 'undefined') return null;
  return new Worker(new URL('./attachment-crypto.worker', import.meta.url), { type: 'module' });
}
