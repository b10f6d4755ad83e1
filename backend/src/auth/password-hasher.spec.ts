import { PasswordHasher } from './password-hasher.js';

describe('PasswordHasher', () => {
  const sut = new PasswordHasher();

  describe('hash', () => {
    it('produces an argon2id hash with the OWASP parameters and a fresh salt', async () => {
      const first = await sut.hash('correct horse battery staple');
      const second = await sut.hash('correct horse battery staple');

      expect(first.startsWith('$argon2id$v=19$m=19456,t=2,p=1$')).toBe(true);
      expect(first).not.toBe(second);
    });
  });

  describe('verify', () => {
    let stored: string;

    beforeAll(async () => {
      stored = await sut.hash('correct horse battery staple');
    });

    it('accepts the right password', async () => {
      await expect(sut.verify(stored, 'correct horse battery staple')).resolves.toBe(true);
    });

    it('rejects a wrong password', async () => {
      await expect(sut.verify(stored, 'Correct horse battery staple')).resolves.toBe(false);
    });

    it('rejects any password when there is no hash, even the one behind the timing dummy', async () => {
      await expect(sut.verify(undefined, 'correct horse battery staple')).resolves.toBe(false);
      await expect(sut.verify(undefined, 'iris-timing-equaliser')).resolves.toBe(false);
    });

    it('returns false for a malformed hash instead of throwing', async () => {
      await expect(sut.verify('not-a-hash', 'correct horse battery staple')).resolves.toBe(false);
      await expect(sut.verify('$argon2id$v=19$m=19456,t=2,p=1$broken', 'x')).resolves.toBe(false);
      await expect(sut.verify('', 'x')).resolves.toBe(false);
    });
  });
});
