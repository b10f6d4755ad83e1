import { decryptFile, encryptFile } from './attachment-crypto';
import type { AttachmentCryptoReply, AttachmentCryptoRequest } from './attachment-cipher';

/** Runs the attachment crypto off the main thread; buffers travel both ways as transfers, not copies. */
const scope = self as unknown as {
  onmessage: ((event: MessageEvent<AttachmentCryptoRequest>) => void) | null;
  postMessage(message: AttachmentCryptoReply, transfer: Transferable[]): void;
};

scope.onmessage = async ({ data }) => {
  try {
    if (data.op === 'encrypt') {
      const { ciphertext, info } = await encryptFile(data.bytes);
      scope.postMessage({ id: data.id, ok: true, bytes: ciphertext.buffer, info }, [ciphertext.buffer]);
    } else {
      const plaintext = await decryptFile(data.bytes, data.info);
      scope.postMessage({ id: data.id, ok: true, bytes: plaintext.buffer }, [plaintext.buffer]);
    }
  } catch (error) {
    const integrity = error instanceof Error && error.name === 'AttachmentIntegrityError';
    scope.postMessage({ id: data.id, ok: false, integrity, message: error instanceof Error ? error.message : String(error) }, []);
  }
};
