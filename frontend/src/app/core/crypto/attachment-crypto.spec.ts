import { AttachmentCipher } from './attachment-cipher';
import { AttachmentIntegrityError, decryptFile, encryptFile, fromBase64, toBase64 } from './attachment-crypto';
import { parseMessageContent } from './message-content';

function sample(size: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + 7) & 0xff;
  return bytes;
}

describe('attachment crypto', () => {
  describe('encryptFile', () => {
    it('writes Matrix v2 info: a 256-bit JWK, a 16-byte iv with the low half zero, the SHA-256 of the ciphertext', async () => {
      const plaintext = sample(1000);

      const { ciphertext, info } = await encryptFile(plaintext);

      expect(ciphertext.length).toBe(1000);
      expect(Array.from(ciphertext)).not.toEqual(Array.from(plaintext));
      expect(info.v).toBe('v2');
      expect(info.key).toMatchObject({ kty: 'oct', alg: 'A256CTR', ext: true, key_ops: ['encrypt', 'decrypt'] });
      expect(fromBase64(info.key.k)).toHaveLength(32);
      const iv = fromBase64(info.iv);
      expect(iv).toHaveLength(16);
      expect(Array.from(iv.subarray(8))).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
      expect(info.iv).not.toContain('=');
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', ciphertext));
      expect(info.hashes.sha256).toBe(toBase64(digest));
    });

    it('takes a fresh key and iv for every file', async () => {
      const [a, b] = await Promise.all([encryptFile(sample(64)), encryptFile(sample(64))]);

      expect(a.info.key.k).not.toBe(b.info.key.k);
      expect(a.info.iv).not.toBe(b.info.iv);
    });

    it('produces info that the content parser accepts', async () => {
      const { info } = await encryptFile(sample(10));
      const attachment = { id: '0f8fad5b-d9cb-469f-a165-70867728950e', ...info, mimetype: 'image/png', name: 'a.png', size: 10 };

      expect(parseMessageContent({ type: 'text', attachments: [attachment] })?.attachments).toEqual([attachment]);
    });
  });

  describe('decryptFile', () => {
    it('gives back the original bytes', async () => {
      const plaintext = sample(70_000);
      const { ciphertext, info } = await encryptFile(plaintext);

      expect(Array.from(await decryptFile(ciphertext, info))).toEqual(Array.from(plaintext));
    });

    it('refuses a ciphertext with one bit flipped before decrypting it', async () => {
      const { ciphertext, info } = await encryptFile(sample(100));
      ciphertext[50] ^= 1;

      await expect(decryptFile(ciphertext, info)).rejects.toBeInstanceOf(AttachmentIntegrityError);
    });

    it('refuses a truncated ciphertext', async () => {
      const { ciphertext, info } = await encryptFile(sample(100));

      await expect(decryptFile(ciphertext.subarray(0, 99), info)).rejects.toThrow(/does not match its hash/);
    });

    it('refuses a hash of another file', async () => {
      const first = await encryptFile(sample(100));
      const second = await encryptFile(sample(100));

      await expect(decryptFile(first.ciphertext, { ...first.info, hashes: second.info.hashes })).rejects.toBeInstanceOf(AttachmentIntegrityError);
    });

    it('reads the bytes wrongly with another key, never silently right', async () => {
      const first = await encryptFile(sample(100));
      const second = await encryptFile(sample(100));

      const plaintext = await decryptFile(first.ciphertext, { ...first.info, key: second.info.key });

      expect(Array.from(plaintext)).not.toEqual(Array.from(sample(100)));
    });
  });

  describe('AttachmentCipher', () => {
    it('runs on the main thread when there is no worker', async () => {
      const sut = new AttachmentCipher(() => null);
      const plaintext = sample(5000);

      const { ciphertext, info } = await sut.encrypt(plaintext.slice().buffer);

      expect(Array.from(await sut.decrypt(ciphertext.slice().buffer, info))).toEqual(Array.from(plaintext));
    });

    it('falls back to the main thread when the worker cannot start', async () => {
      const sut = new AttachmentCipher(() => {
        throw new Error('blocked by CSP');
      });

      const { ciphertext, info } = await sut.encrypt(sample(10).buffer);

      expect(Array.from(await sut.decrypt(ciphertext.buffer, info))).toEqual(Array.from(sample(10)));
    });
  });
});
