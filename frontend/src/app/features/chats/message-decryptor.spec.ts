import { signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { AuthStore } from '../../core/auth-store';
import { type DecryptResult, UNDECRYPTABLE_MESSAGES } from '../../core/crypto/crypto-service';
import { DeviceCrypto } from '../../core/crypto/device-crypto';
import { MessageDecryptor } from './message-decryptor';
import { message } from './message.fixtures';

const CIPHERTEXT = { algorithm: 'm.megolm.v1.aes-sha2' as const, ciphertext: 'AwgAEhAb', session_id: 'S1' };

/** A CryptoService stand-in: `decrypt` answers what the spec queues. */
function fakeCrypto() {
  return { decrypt: vi.fn<(message: unknown) => Promise<DecryptResult>>(), forget: vi.fn(), keysUpdated: signal(0) };
}

describe('MessageDecryptor', () => {
  let service: ReturnType<typeof signal<ReturnType<typeof fakeCrypto> | null>>;
  let error: ReturnType<typeof signal<Error | null>>;
  let crypto: ReturnType<typeof fakeCrypto>;

  function create(): MessageDecryptor {
    TestBed.configureTestingModule({
      providers: [
        { provide: DeviceCrypto, useValue: { service, error } },
        { provide: AuthStore, useValue: { user: signal({ id: 'u1' }) } },
      ],
    });
    const sut = TestBed.inject(MessageDecryptor);
    TestBed.tick();
    return sut;
  }

  const settle = () => new Promise((resolve) => setTimeout(resolve));

  beforeEach(() => {
    crypto = fakeCrypto();
    service = signal<ReturnType<typeof fakeCrypto> | null>(crypto);
    error = signal<Error | null>(null);
  });

  it('gives a plaintext message’s content at once, in the content model', () => {
    const sut = create();
    expect(sut.contentOf(message({ body: 'Hello' }))).toEqual({ kind: 'ok', content: { type: 'text', body: 'Hello' } });
    expect(crypto.decrypt).not.toHaveBeenCalled();
  });

  it('decrypts an encrypted message once, then answers from memory', async () => {
    const sut = create();
    const encrypted = message({ body: null, ciphertext: CIPHERTEXT });
    crypto.decrypt.mockResolvedValue({ kind: 'ok', content: { type: 'text', body: 'Secret' }, senderDeviceId: 's2' });

    sut.request([encrypted]);
    expect(sut.contentOf(encrypted)).toEqual({ kind: 'decrypting' });
    await settle();
    expect(sut.contentOf(encrypted)).toEqual({ kind: 'ok', content: { type: 'text', body: 'Secret' } });
    sut.request([encrypted]);
    expect(crypto.decrypt).toHaveBeenCalledTimes(1);
  });

  it('shows why a message cannot be read, and tries again when keys arrive', async () => {
    const sut = create();
    const encrypted = message({ body: null, ciphertext: CIPHERTEXT });
    crypto.decrypt.mockResolvedValueOnce({ kind: 'undecryptable', reason: 'no-key', message: UNDECRYPTABLE_MESSAGES['no-key'] });

    sut.request([encrypted]);
    await settle();
    expect(sut.contentOf(encrypted)).toEqual({ kind: 'undecryptable', reason: 'no-key', message: 'Sent before this device signed in' });

    crypto.decrypt.mockResolvedValueOnce({ kind: 'ok', content: { type: 'text', body: 'Late key' }, senderDeviceId: 's2' });
    crypto.keysUpdated.update((count) => count + 1);
    TestBed.tick();
    await settle();
    expect(sut.contentOf(encrypted)).toEqual({ kind: 'ok', content: { type: 'text', body: 'Late key' } });
  });

  it('tries again when keys arrive while a decryption that will miss them is still running', async () => {
    const sut = create();
    const encrypted = message({ body: null, ciphertext: CIPHERTEXT });
    let finish!: (result: DecryptResult) => void;
    crypto.decrypt.mockImplementationOnce(() => new Promise((resolve) => (finish = resolve)));
    crypto.decrypt.mockResolvedValueOnce({ kind: 'ok', content: { type: 'text', body: 'Key came meanwhile' }, senderDeviceId: 's2' });

    sut.request([encrypted]);
    // The room key lands (and its retry finds this message still running), then the first attempt ends without it.
    crypto.keysUpdated.update((count) => count + 1);
    TestBed.tick();
    finish({ kind: 'undecryptable', reason: 'no-key', message: UNDECRYPTABLE_MESSAGES['no-key'] });
    await settle();

    expect(crypto.decrypt).toHaveBeenCalledTimes(2);
    expect(sut.contentOf(encrypted)).toEqual({ kind: 'ok', content: { type: 'text', body: 'Key came meanwhile' } });
  });

  it('never retries a damaged or replayed message', async () => {
    const sut = create();
    const encrypted = message({ body: null, ciphertext: CIPHERTEXT });
    crypto.decrypt.mockResolvedValue({ kind: 'undecryptable', reason: 'replayed', message: UNDECRYPTABLE_MESSAGES.replayed });
    sut.request([encrypted]);
    await settle();
    crypto.keysUpdated.update((count) => count + 1);
    TestBed.tick();
    await settle();
    expect(crypto.decrypt).toHaveBeenCalledTimes(1);
  });

  it('waits for the device’s crypto to start, and says so when it could not', async () => {
    service.set(null);
    const sut = create();
    const encrypted = message({ body: null, ciphertext: CIPHERTEXT });
    sut.request([encrypted]);
    expect(sut.contentOf(encrypted)).toEqual({ kind: 'decrypting' });

    error.set(new Error('Iris is open in another tab of this browser.'));
    TestBed.tick();
    expect(sut.contentOf(encrypted)).toMatchObject({ kind: 'undecryptable', message: 'Iris is open in another tab of this browser.' });

    crypto.decrypt.mockResolvedValue({ kind: 'ok', content: { type: 'text', body: 'Now' }, senderDeviceId: 's2' });
    error.set(null);
    service.set(crypto);
    TestBed.tick();
    await settle();
    expect(sut.contentOf(encrypted)).toEqual({ kind: 'ok', content: { type: 'text', body: 'Now' } });
  });

  it('shows content this device wrote without decrypting it, and forgets it on request', () => {
    const sut = create();
    const mine = message({ id: 'm9', senderId: 'u1', body: null, ciphertext: CIPHERTEXT });
    sut.remember(mine, { type: 'text', body: 'Mine' });
    sut.request([mine]);
    expect(crypto.decrypt).not.toHaveBeenCalled();
    expect(sut.contentOf(mine)).toEqual({ kind: 'ok', content: { type: 'text', body: 'Mine' } });

    sut.forget(['m9']);
    expect(crypto.forget).toHaveBeenCalledWith('m9');
    expect(sut.contentOf(mine)).toEqual({ kind: 'decrypting' });
  });
});
